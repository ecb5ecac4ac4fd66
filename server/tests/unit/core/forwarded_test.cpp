// Covers core/forwarded: address canonicalization (IPv4, IPv6, IPv4-mapped, refusals) and the
// choice of client address from X-Forwarded-For (untrusted peers, missing and malformed headers,
// spaces, several hops, IPv6).
#include "peershare/core/forwarded.hpp"

#include <gtest/gtest.h>

namespace peershare::forwarded {
namespace {

TEST(canonical_address, reads_ipv4_and_ipv6) {
    EXPECT_EQ(canonical_address("127.0.0.1"), "127.0.0.1");
    EXPECT_EQ(canonical_address("2001:DB8:0:0::1"), "2001:db8::1");
    EXPECT_EQ(canonical_address("::1"), "::1");
    EXPECT_EQ(canonical_address("::ffff:192.0.2.7"), "192.0.2.7");
}

TEST(canonical_address, rejects_what_is_not_a_bare_address) {
    for (std::string_view text : {"", " 127.0.0.1", "127.0.0.1 ", "127.0.0.1:8080", "[::1]", "[::1]:443", "localhost",
                                  "unknown", "256.0.0.1", "1.2.3", "fe80::1%eth0", "::1::2", "1.2.3.4/32", "_hidden"})
        EXPECT_EQ(canonical_address(text), std::nullopt) << "'" << text << "'";
}

TEST(trusted_proxies, matches_canonical_forms) {
    trusted_proxies t({"127.0.0.1", "2001:DB8::0:1", "::ffff:10.0.0.1"});
    EXPECT_TRUE(t.contains("127.0.0.1"));
    EXPECT_TRUE(t.contains("2001:db8::1"));
    EXPECT_TRUE(t.contains("10.0.0.1"));
    EXPECT_FALSE(t.contains("127.0.0.2"));
    EXPECT_FALSE(trusted_proxies().contains("127.0.0.1"));
    EXPECT_TRUE(trusted_proxies().empty());
}

TEST(client_address, ignores_the_header_without_trusted_proxies) {
    EXPECT_EQ(client_address("127.0.0.1", "203.0.113.5", trusted_proxies()), "127.0.0.1");
}

TEST(client_address, ignores_the_header_from_an_untrusted_peer) {
    trusted_proxies t({"127.0.0.1"});
    EXPECT_EQ(client_address("198.51.100.9", "203.0.113.5", t), "198.51.100.9");
}

TEST(client_address, takes_the_forwarded_address_from_a_trusted_peer) {
    trusted_proxies t({"127.0.0.1"});
    EXPECT_EQ(client_address("127.0.0.1", "203.0.113.5", t), "203.0.113.5");
    EXPECT_EQ(client_address("127.0.0.1", " \t203.0.113.5 ", t), "203.0.113.5");
}

TEST(client_address, falls_back_to_the_peer_on_a_missing_or_malformed_header) {
    trusted_proxies t({"127.0.0.1"});
    for (std::string_view header : {"", " ", ",", "203.0.113.5,", ",203.0.113.5", "203.0.113.5:1234", "unknown",
                                    "203.0.113.5, garbage", "garbage, 203.0.113.5", "203.0.113.5 198.51.100.1",
                                    "[2001:db8::1]"})
        EXPECT_EQ(client_address("127.0.0.1", header, t), "127.0.0.1") << "'" << header << "'";
}

TEST(client_address, takes_the_rightmost_untrusted_hop) {
    trusted_proxies t({"127.0.0.1", "10.0.0.2"});
    // The client wrote the leftmost entry itself: only what trusted proxies appended counts.
    EXPECT_EQ(client_address("127.0.0.1", "1.1.1.1, 203.0.113.5, 10.0.0.2", t), "203.0.113.5");
    EXPECT_EQ(client_address("127.0.0.1", "1.1.1.1,203.0.113.5", t), "203.0.113.5");
    EXPECT_EQ(client_address("127.0.0.1", "10.0.0.2, 127.0.0.1", t), "10.0.0.2");
}

TEST(client_address, takes_the_leftmost_hop_when_every_hop_is_trusted) {
    trusted_proxies t({"127.0.0.1", "10.0.0.2"});
    EXPECT_EQ(client_address("127.0.0.1", "10.0.0.2, 127.0.0.1", t), "10.0.0.2");
}

TEST(client_address, handles_ipv6) {
    trusted_proxies t({"::1", "2001:db8::10"});
    EXPECT_EQ(client_address("::1", "2001:DB8::5, 2001:db8::10", t), "2001:db8::5");
    EXPECT_EQ(client_address("::1", "::ffff:203.0.113.5", t), "203.0.113.5");
    EXPECT_EQ(client_address("2001:db8::10", "2001:db8::5", t), "2001:db8::5");
    EXPECT_EQ(client_address("2001:db8::99", "2001:db8::5", t), "2001:db8::99");
}

}  // namespace
}  // namespace peershare::forwarded
