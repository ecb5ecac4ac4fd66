// Covers core/origin_policy: which Origin may open a WebSocket (none, the server's own by Host over
// http or https, an allowed one), origin normalization, and reading a Host header.
#include "peershare/core/origin_policy.hpp"

#include <gtest/gtest.h>

#include <string_view>

namespace peershare {
namespace {

TEST(origin_policy, a_client_without_an_origin_is_allowed) {
    origin_policy p({});
    EXPECT_TRUE(p.allows("", "share.example"));
    EXPECT_TRUE(p.allows("", ""));
}

TEST(origin_policy, the_servers_own_origin_is_allowed_over_http_and_https_by_the_host_header) {
    origin_policy p({});
    EXPECT_TRUE(p.allows("http://share.example:8080", "share.example:8080"));
    EXPECT_TRUE(p.allows("https://share.example", "share.example"));   // a TLS proxy in front
    EXPECT_TRUE(p.allows("HTTPS://Share.Example:443/", "share.example"));
    EXPECT_FALSE(p.allows("http://share.example:8081", "share.example:8080")) << "another port is another origin";
    EXPECT_FALSE(p.allows("http://share.example", "")) << "without a Host header only allowed origins pass";
}

TEST(origin_policy, a_foreign_origin_is_refused_unless_it_is_allowed) {
    origin_policy p({"https://app.example"});
    EXPECT_FALSE(p.allows("https://evil.example", "share.example"));
    EXPECT_TRUE(p.allows("https://app.example", "share.example"));
    EXPECT_TRUE(p.allows("https://APP.example:443", "share.example")) << "compared normalized";
    EXPECT_FALSE(p.allows("http://app.example", "share.example")) << "the scheme is part of the origin";
}

TEST(origin_policy, an_origin_that_is_not_scheme_host_port_is_refused) {
    origin_policy p({});
    for (std::string_view bad : {"null", "file://", "https://share.example/path", "ws://share.example"})
        EXPECT_FALSE(p.allows(bad, "share.example")) << "'" << bad << "'";
}

TEST(host_of, takes_the_host_of_a_host_header_and_refuses_odd_characters) {
    EXPECT_EQ(host_of("Share.Example:8080"), "share.example");
    EXPECT_EQ(host_of("127.0.0.1"), "127.0.0.1");
    EXPECT_EQ(host_of("[::1]:8080"), "[::1]");
    EXPECT_EQ(host_of("evil\"host"), "");
    EXPECT_EQ(host_of(""), "");
}


// --- normalize_origin ---

TEST(normalize_origin, lowercases_and_drops_the_default_port_and_trailing_slash) {
    EXPECT_EQ(normalize_origin("https://Example.org:443/"), "https://example.org");
    EXPECT_EQ(normalize_origin("HTTPS://EXAMPLE.ORG"), "https://example.org");
    EXPECT_EQ(normalize_origin("http://example.org:80"), "http://example.org");
    EXPECT_EQ(normalize_origin("https://example.org"), "https://example.org");
}

TEST(normalize_origin, keeps_a_non_default_port) {
    EXPECT_EQ(normalize_origin("http://localhost:5173"), "http://localhost:5173");
    EXPECT_EQ(normalize_origin("http://example.org:443"), "http://example.org:443");
    EXPECT_EQ(normalize_origin("https://example.org:80"), "https://example.org:80");
    EXPECT_EQ(normalize_origin("https://[::1]:8443"), "https://[::1]:8443");
}

TEST(normalize_origin, rejects_what_is_not_scheme_host_port) {
    for (std::string_view bad : {"", "null", "example.org", "//example.org", "ftp://example.org", "ws://example.org",
                                 "https://", "https:///", "https://example.org/path", "https://example.org//",
                                 "https://example.org?q", "https://example.org#f", "https://user@example.org",
                                 "https://exa mple.org"})
        EXPECT_EQ(normalize_origin(bad), std::nullopt) << "'" << bad << "'";
}

}  // namespace
}  // namespace peershare
