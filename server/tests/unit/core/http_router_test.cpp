// Covers core/http_router: each route, HEAD as GET, query strings, and the not_found / method_not_allowed / bad_request outcomes.
#include "peershare/core/http_router.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>

namespace peershare::routing {

// Outside the unnamed namespace, so GoogleTest finds it by argument-dependent lookup.
void PrintTo(route r, std::ostream* os);

namespace {

const char* name(route r) {
    switch (r) {
    case route::healthz: return "healthz";
    case route::metrics: return "metrics";
    case route::stats: return "stats";
    case route::resource_info: return "resource_info";
    case route::resource_metadata_get: return "resource_metadata_get";
    case route::resource_metadata_put: return "resource_metadata_put";
    case route::websocket: return "websocket";
    case route::static_file: return "static_file";
    }
    return "?";
}

// Expects `method target` to be served by `which`, with `param` captured.
void expect_route(std::string_view method, std::string_view target, route which, std::string_view param = {}) {
    auto m = match(method, target);
    EXPECT_EQ(m.error, errc::ok) << method << " " << target;
    EXPECT_EQ(m.which, which) << method << " " << target;
    EXPECT_EQ(m.param, param) << method << " " << target;
}

errc error_of(std::string_view method, std::string_view target) { return match(method, target).error; }

const std::string id = "1ac032bd3e2e7814bc47c70a46001662acb652c376e5a608db6d65615e37356e";

TEST(http_router, matches_each_route) {
    expect_route("GET", "/healthz", route::healthz);
    expect_route("GET", "/metrics", route::metrics);
    expect_route("GET", "/api/stats", route::stats);
    expect_route("GET", "/api/resources/" + id, route::resource_info, id);
    expect_route("GET", "/api/resources/" + id + "/metadata", route::resource_metadata_get, id);
    expect_route("PUT", "/api/resources/" + id + "/metadata", route::resource_metadata_put, id);
    expect_route("GET", "/ws", route::websocket);
}

TEST(http_router, captures_the_id_segment_without_validating_it) {
    // The handler checks the id, so it can answer bad_resource_id rather than not_found.
    expect_route("GET", "/api/resources/NOT-AN-ID", route::resource_info, "NOT-AN-ID");
}

TEST(http_router, head_matches_like_get) {
    expect_route("HEAD", "/healthz", route::healthz);
    expect_route("HEAD", "/api/resources/" + id + "/metadata", route::resource_metadata_get, id);
    expect_route("HEAD", "/", route::static_file);
    EXPECT_EQ(error_of("HEAD", "/api/nothing"), errc::not_found);
}

TEST(http_router, query_string_is_ignored_for_matching_and_dropped_from_the_path) {
    auto m = match("GET", "/healthz?verbose=1");
    EXPECT_EQ(m.error, errc::ok);
    EXPECT_EQ(m.which, route::healthz);
    EXPECT_EQ(m.path, "/healthz");
    expect_route("GET", "/api/resources/" + id + "?x=/metadata", route::resource_info, id);
    expect_route("PUT", "/api/resources/" + id + "/metadata?", route::resource_metadata_put, id);
    auto s = match("GET", "/share/abc?key=1#frag");
    EXPECT_EQ(s.which, route::static_file);
    EXPECT_EQ(s.path, "/share/abc");
}

TEST(http_router, other_method_on_a_known_path_is_method_not_allowed) {
    EXPECT_EQ(error_of("POST", "/healthz"), errc::method_not_allowed);
    EXPECT_EQ(error_of("PUT", "/api/stats"), errc::method_not_allowed);
    EXPECT_EQ(error_of("DELETE", "/api/resources/" + id + "/metadata"), errc::method_not_allowed);
    EXPECT_EQ(error_of("PUT", "/api/resources/" + id), errc::method_not_allowed);
    EXPECT_EQ(error_of("POST", "/ws"), errc::method_not_allowed);
    EXPECT_EQ(error_of("get", "/healthz"), errc::method_not_allowed) << "methods are case-sensitive";
}

TEST(http_router, unknown_path_under_api_is_not_found_for_any_method) {
    EXPECT_EQ(error_of("GET", "/api/unknown"), errc::not_found);
    EXPECT_EQ(error_of("POST", "/api/unknown"), errc::not_found);
    EXPECT_EQ(error_of("GET", "/api"), errc::not_found);
    EXPECT_EQ(error_of("GET", "/api/"), errc::not_found);
    EXPECT_EQ(error_of("GET", "/api/resources"), errc::not_found);
    EXPECT_EQ(error_of("GET", "/api/resources/"), errc::not_found) << "an empty id segment matches nothing";
    EXPECT_EQ(error_of("GET", "/api/resources/" + id + "/other"), errc::not_found);
    EXPECT_EQ(error_of("GET", "/api/resources/" + id + "/metadata/x"), errc::not_found);
}

TEST(http_router, non_get_outside_api_is_method_not_allowed) {
    EXPECT_EQ(error_of("POST", "/"), errc::method_not_allowed);
    EXPECT_EQ(error_of("PUT", "/index.html"), errc::method_not_allowed);
    EXPECT_EQ(error_of("DELETE", "/assets/app.js"), errc::method_not_allowed);
    EXPECT_EQ(error_of("OPTIONS", "/share/x"), errc::method_not_allowed);
}

TEST(http_router, target_not_starting_with_a_slash_is_bad_request) {
    for (std::string_view target : {"", "healthz", "*", "http://example.org/healthz", "?a=1", "api/stats"})
        EXPECT_EQ(error_of("GET", target), errc::bad_request) << "'" << target << "'";
}

TEST(http_router, other_paths_are_static_files_with_their_path) {
    for (std::string_view path : {"/", "/index.html", "/assets/index-3f2a1b.js", "/share/some/deep/link", "/apiary",
                                  "/healthz/extra", "/favicon.ico"}) {
        auto m = match("GET", path);
        EXPECT_EQ(m.error, errc::ok) << path;
        EXPECT_EQ(m.which, route::static_file) << path;
        EXPECT_EQ(m.path, path);
        EXPECT_EQ(m.param, "") << path;
    }
}

}  // namespace

void PrintTo(route r, std::ostream* os) { *os << "route::" << name(r); }

}  // namespace peershare::routing
