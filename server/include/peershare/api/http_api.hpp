// The REST API's handlers (docs/protocol.md §3): plain functions from a request to a reply, with no
// sockets. Handlers that take a resource_store run on the store thread.
#pragma once

#include "peershare/core/errors.hpp"
#include "peershare/core/metrics.hpp"
#include "peershare/core/tracker.hpp"
#include "peershare/store/resource_store.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace peershare::api {

struct reply {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::string cache_control = "no-store";
};

// {"error":{"code":..,"message":..}} with the HTTP status that fits the code.
reply error_reply(errc code, std::string_view message = {});
unsigned http_status_of(errc code) noexcept;

reply healthz(resource_store& store);
reply resource_info(resource_store& store, const tracker& t, std::string_view id_param);
reply metadata_get(resource_store& store, std::string_view id_param);

// Verifies `body` against the id and stores it. `inserted` tells whether it was new.
reply metadata_put(resource_store& store, std::string_view id_param, std::string_view body, std::int64_t now,
                   bool& inserted);

struct stats_input {
    tracker::counts counts;
    std::int64_t connections = 0;
    std::int64_t resources = 0;
    std::int64_t uptime_seconds = 0;
    std::string_view version;
};
reply stats(const stats_input& in);
reply metrics_text(const metrics& m, const metrics::gauges& g);

}  // namespace peershare::api
