// The HTTP route table: which handler serves a method and a request target. Pure string matching,
// so it is unit-tested and fuzzed without sockets.
#pragma once

#include "peershare/core/errors.hpp"

#include <string>
#include <string_view>

namespace peershare::routing {

enum class route {
    healthz,
    metrics,
    stats,
    resource_info,          // GET /api/resources/{id}
    resource_metadata_get,  // GET /api/resources/{id}/metadata
    resource_metadata_put,  // PUT /api/resources/{id}/metadata
    websocket,              // GET /ws (upgrade)
    static_file,            // anything else outside /api/: the web app
};

struct match_result {
    errc error = errc::ok;  // not_found, method_not_allowed or bad_request when no route applies
    route which = route::static_file;
    std::string path;       // the target's path, without query string
    std::string param;      // the {id} segment, when the route has one
};

// HEAD is matched like GET.
match_result match(std::string_view method, std::string_view target);

}  // namespace peershare::routing
