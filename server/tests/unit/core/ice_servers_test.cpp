// Covers core/ice_servers: the built-in STUN responder listed under the client's host (and not
// without one), the STUN servers given after it, TURN with credentials for the peer, the policy.
#include "peershare/core/ice_servers.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace peershare {
namespace {

using json = nlohmann::json;

TEST(ice_servers, the_built_in_responder_comes_first_under_the_host_the_client_used) {
    ice_settings s;
    s.stun_servers = {"stun:a.example:3478"};
    EXPECT_EQ(json::parse(ice_for(s, "share.example", "p", 0).servers_json),
              json::parse(R"([{"urls":["stun:share.example:3478","stun:a.example:3478"]}])"));
    EXPECT_EQ(json::parse(ice_for(s, "", "p", 0).servers_json), json::parse(R"([{"urls":["stun:a.example:3478"]}])"))
        << "without a host the responder cannot be named";
}

TEST(ice_servers, turn_comes_after_stun_with_credentials_that_expire) {
    ice_settings s;
    s.turn_urls = {"turn:t.example:3478"};
    s.turn_secret = "north-wind";
    s.turn_ttl = std::chrono::hours(24);
    auto ice = ice_for(s, "h", "0123456789abcdef0123456789abcdef", 1'699'913'600);
    auto list = json::parse(ice.servers_json);
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(list[0]["urls"][0], "stun:h:3478");
    EXPECT_EQ(list[1]["username"], "1700000000:0123456789abcdef0123456789abcdef");
    EXPECT_EQ(list[1]["credential"], "T1gPIIaEwr88Sp16t70Y/Duowzw=");
    EXPECT_EQ(ice.expires, 1'700'000'000);
    EXPECT_EQ(ice.transport_policy, "all");
}

TEST(ice_servers, relay_only_sets_the_relay_policy_and_nothing_configured_lists_nothing) {
    ice_settings s;
    s.stun = false;
    s.relay_only = true;
    auto ice = ice_for(s, "h", "p", 0);
    EXPECT_EQ(ice.servers_json, "[]");
    EXPECT_EQ(ice.transport_policy, "relay");
    EXPECT_EQ(ice.expires, 0);
}

}  // namespace
}  // namespace peershare
