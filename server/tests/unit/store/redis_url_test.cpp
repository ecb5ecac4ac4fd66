// Covers store/redis_url: parse_redis_url on valid URLs (defaults, IPv6, databases) and on every refused
// form, each with a sentence naming the problem; redis_url::str.
#include "peershare/store/redis_url.hpp"

#include <gtest/gtest.h>

namespace peershare {
namespace {

redis_url parsed(std::string_view text) {
    auto r = parse_redis_url(text);
    if (auto* why = std::get_if<std::string>(&r)) {
        ADD_FAILURE() << "refused " << text << ": " << *why;
        return {};
    }
    return std::get<redis_url>(r);
}

// The refusal's sentence; fails the test when the URL is accepted.
std::string refusal(std::string_view text) {
    auto r = parse_redis_url(text);
    if (auto* why = std::get_if<std::string>(&r)) return *why;
    ADD_FAILURE() << "accepted " << text;
    return {};
}

TEST(redis_url, host_port_and_database) {
    auto u = parsed("redis://127.0.0.1:6380/3");
    EXPECT_EQ(u.host, "127.0.0.1");
    EXPECT_EQ(u.port, 6380);
    EXPECT_EQ(u.db, 3);
    EXPECT_EQ(u.str(), "redis://127.0.0.1:6380/3");
}

TEST(redis_url, port_defaults_to_6379_and_database_to_0) {
    EXPECT_EQ(parsed("redis://cache.internal"), (redis_url{"cache.internal", 6379, 0}));
    EXPECT_EQ(parsed("redis://cache.internal/"), (redis_url{"cache.internal", 6379, 0}));
    EXPECT_EQ(parsed("redis://cache.internal/7"), (redis_url{"cache.internal", 6379, 7}));
    EXPECT_EQ(parsed("redis://redis-1:1"), (redis_url{"redis-1", 1, 0}));
    EXPECT_EQ(parsed("redis://h:65535/2147483647"), (redis_url{"h", 65535, 2147483647}));
}

TEST(redis_url, ipv6_addresses_are_bracketed_and_stored_without_brackets) {
    auto u = parsed("redis://[::1]:6380/1");
    EXPECT_EQ(u.host, "::1");
    EXPECT_EQ(u.port, 6380);
    EXPECT_EQ(u.str(), "redis://[::1]:6380/1");
    EXPECT_EQ(parsed("redis://[fd00::5]").port, 6379);
}

TEST(redis_url, other_schemes_are_refused) {
    EXPECT_NE(refusal("http://h:6379").find("is not a URL like redis://HOST:PORT/DB"), std::string::npos);
    EXPECT_NE(refusal("127.0.0.1:6379").find("is not a URL like"), std::string::npos);
    EXPECT_NE(refusal("REDIS://h").find("is not a URL like"), std::string::npos);
    EXPECT_NE(refusal("rediss://h:6380").find("TLS (rediss://) is not supported"), std::string::npos);
    EXPECT_NE(refusal("").find("is not a URL like"), std::string::npos);
}

TEST(redis_url, bad_ports_are_refused) {
    for (auto text : {"redis://h:0", "redis://h:65536", "redis://h:-1", "redis://h:80x", "redis://h:99999999999"})
        EXPECT_NE(refusal(text).find("is not a number from 1 to 65535"), std::string::npos) << text;
    EXPECT_NE(refusal("redis://h:").find("the port is empty"), std::string::npos);
    EXPECT_NE(refusal("redis://[::1]:").find("the port is empty"), std::string::npos);
}

TEST(redis_url, bad_databases_are_refused) {
    for (auto text : {"redis://h/x", "redis://h/-1", "redis://h/2147483648", "redis://h/1/2", "redis://h/1.5"})
        EXPECT_NE(refusal(text).find("is not a number from 0 to 2147483647"), std::string::npos) << text;
}

TEST(redis_url, bad_hosts_credentials_and_extras_are_refused) {
    EXPECT_NE(refusal("redis://").find("the host is empty"), std::string::npos);
    EXPECT_NE(refusal("redis://:6379").find("the host is empty"), std::string::npos);
    EXPECT_NE(refusal("redis://ho$t").find("is not a host name or address"), std::string::npos);
    EXPECT_NE(refusal("redis://[::1").find("no closing ']'"), std::string::npos);
    EXPECT_NE(refusal("redis://[zz]").find("is not an IPv6 address"), std::string::npos);
    EXPECT_NE(refusal("redis://[::1]x").find("expected ':PORT'"), std::string::npos);
    EXPECT_NE(refusal("redis://:secret@h:6379").find("credentials in the URL are not supported"), std::string::npos);
    EXPECT_NE(refusal("redis://h:6379/0?timeout=1").find("no query or fragment"), std::string::npos);
}

TEST(redis_url, the_refusal_quotes_the_url) {
    EXPECT_EQ(refusal("redis://h:0").rfind("'redis://h:0'", 0), 0u);
}

}  // namespace
}  // namespace peershare
