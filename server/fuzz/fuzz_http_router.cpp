// Fuzz target of the HTTP route table (routing::match): input "<method> <target>", like a request line.
#include "fuzz_check.hpp"

#include "peershare/core/http_router.hpp"

#include <string>

namespace {

using namespace peershare;
using namespace peershare::routing;
using fuzz::check;

// The path each route serves, with its {id} filled in: the oracle the table is checked against.
std::string path_of(route r, const std::string& param) {
    switch (r) {
    case route::healthz: return "/healthz";
    case route::metrics: return "/metrics";
    case route::stats: return "/api/stats";
    case route::resource_info: return "/api/resources/" + param;
    case route::resource_metadata_get:
    case route::resource_metadata_put: return "/api/resources/" + param + "/metadata";
    case route::websocket: return "/ws";
    case route::static_file: break;
    }
    return {};
}

bool takes_id(route r) {
    return r == route::resource_info || r == route::resource_metadata_get || r == route::resource_metadata_put;
}

bool same(const match_result& a, const match_result& b) {
    return a.error == b.error && a.which == b.which && a.path == b.path && a.param == b.param;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view line = fuzz::bytes(data, size);
    const auto space = line.find(' ');
    const std::string_view method = line.substr(0, space);
    const std::string_view target = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);

    const match_result m = match(method, target);
    const std::string_view path = target.substr(0, target.find('?'));
    const bool is_api = path == "/api" || path.starts_with("/api/");

    if (path.empty() || path.front() != '/') {
        check(m.error == errc::bad_request, "a target that is not an absolute path is a bad request");
        return 0;
    }
    check(m.path == path, "the matched path is the target without its query");
    check(m.error == errc::ok || m.error == errc::not_found || m.error == errc::method_not_allowed,
          "a path is served, unknown or served by another method");
    if (method == "HEAD" || method == "GET") {
        check(same(m, match(method == "GET" ? "HEAD" : "GET", target)), "HEAD is matched like GET");
    }
    if (m.error == errc::not_found) check(is_api, "only an unknown /api path is not found");
    if (m.error != errc::ok) return 0;

    if (m.which == route::static_file) {
        check(method == "GET" || method == "HEAD", "static files are read with GET or HEAD");
        check(!is_api, "no /api path is a static file");
        return 0;
    }
    check(path == path_of(m.which, m.param), "a route serves exactly its own path");
    check(takes_id(m.which) == !m.param.empty(), "a route with {id} has a non-empty id, others none");
    check(m.param.find('/') == std::string::npos, "an {id} is one path segment");
    return 0;
}
