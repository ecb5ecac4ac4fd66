// Covers core/turn_credentials: coturn REST-API credentials against a fixed vector.
#include "peershare/core/turn_credentials.hpp"

#include <gtest/gtest.h>

namespace peershare {
namespace {

TEST(turn_credentials, username_is_expiry_colon_peer_and_credential_is_base64_hmac_sha1_of_it) {
    // Vector computed independently: base64(HMAC-SHA1("north-wind", "1700000000:0123…cdef")).
    auto c = mint_turn_credentials("north-wind", "0123456789abcdef0123456789abcdef", 1'699'913'600, 86'400);
    EXPECT_EQ(c.expires, 1'700'000'000);
    EXPECT_EQ(c.username, "1700000000:0123456789abcdef0123456789abcdef");
    EXPECT_EQ(c.credential, "T1gPIIaEwr88Sp16t70Y/Duowzw=");
}

TEST(turn_credentials, another_secret_gives_another_credential) {
    auto a = mint_turn_credentials("a", "p", 0, 10);
    auto b = mint_turn_credentials("b", "p", 0, 10);
    EXPECT_EQ(a.username, b.username);
    EXPECT_NE(a.credential, b.credential);
}

}  // namespace
}  // namespace peershare
