// Covers flows/connection_flows: the welcome's contents, the ICE refresh reply, leaving one swarm
// (reply, pushes, the directory and the store told), and what a disconnect does to every swarm.
#include "peershare/flows/connection_flows.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>

namespace peershare {
namespace {

using test::resource;
using json = nlohmann::json;

class connection_flows_test : public ::testing::Test {
protected:
    connection_flows_test() : swarms(lim_) {}
    void TearDown() override { swarms.check_invariants(); }
    flows::context ctx() { return {swarms, lim_, false}; }
    void join(const peer_id& p, unsigned r) { ASSERT_EQ(swarms.announce(p, resource(r), false, swarm_info{}).error, errc::ok); }

    limits lim_;
    tracker swarms;
};

TEST_F(connection_flows_test, the_welcome_names_the_peer_the_stun_under_the_clients_host_and_the_limits) {
    auto self = swarms.connect();
    ice_settings ice;
    ice.stun_port = 3479;
    auto w = json::parse(flows::welcome(self, ice, "share.example", lim_, 0));
    EXPECT_EQ(w["type"], "welcome");
    EXPECT_EQ(w["protocol"], signaling::protocol_version);
    EXPECT_EQ(w["peer"], self.str());
    EXPECT_EQ(w["ice_servers"], json::parse(R"([{"urls":["stun:share.example:3479"]}])"));
    EXPECT_EQ(w["ice_transport_policy"], "all");
    EXPECT_FALSE(w.contains("ice_expires")) << "no TURN, nothing expires";
    EXPECT_EQ(w["limits"]["max_message_bytes"], lim_.max_message_bytes);
}

TEST_F(connection_flows_test, an_ice_refresh_answers_the_request_with_fresh_turn_credentials) {
    auto self = *peer_id::parse("0123456789abcdef0123456789abcdef");
    ice_settings ice;
    ice.stun = false;
    ice.turn_urls = {"turn:t.example:3478"};
    ice.turn_secret = "north-wind";
    ice.turn_ttl = std::chrono::hours(24);
    auto o = flows::ice_refresh(self, std::uint64_t{3}, ice, "h", 1'699'913'600);
    EXPECT_EQ(o.reply_type, signaling::server_type::ice_servers);
    auto r = json::parse(o.reply);
    EXPECT_EQ(r["id"], 3);
    EXPECT_EQ(r["ice_expires"], 1'700'000'000);
    EXPECT_EQ(r["ice_servers"][0]["username"], "1700000000:" + self.str());
}

TEST_F(connection_flows_test, leave_replies_pushes_peer_left_and_tells_the_directory_and_the_store) {
    auto a = swarms.connect(), b = swarms.connect();
    join(a, 1);
    join(b, 1);
    join(a, 2);
    auto o = flows::leave(ctx(), a, std::uint64_t{4}, signaling::leave{resource(1)});
    EXPECT_EQ(json::parse(o.reply), (json{{"type", "left"}, {"id", 4}, {"resource", resource(1).str()}}));
    ASSERT_EQ(o.deliveries.size(), 1u);
    EXPECT_EQ(o.deliveries[0].to, b);
    EXPECT_EQ(json::parse(*o.deliveries[0].text)["type"], "peer_left");
    EXPECT_EQ(o.directory_leaves, std::vector<resource_id>{resource(1)});
    EXPECT_TRUE(o.emptied.empty()) << "b still holds it";
    auto last = flows::leave(ctx(), a, std::uint64_t{5}, signaling::leave{resource(2)});
    EXPECT_EQ(last.emptied, std::vector<resource_id>{resource(2)}) << "its grace period starts";
    EXPECT_FALSE(swarms.is_member(a, resource(1)));
}

TEST_F(connection_flows_test, leaving_a_swarm_one_is_not_in_changes_nothing) {
    auto a = swarms.connect(), b = swarms.connect();
    join(b, 1);
    auto o = flows::leave(ctx(), a, std::uint64_t{4}, signaling::leave{resource(1)});
    EXPECT_EQ(o.error, errc::not_in_swarm);
    EXPECT_TRUE(o.deliveries.empty());
    EXPECT_TRUE(o.directory_leaves.empty());
    EXPECT_TRUE(swarms.is_member(b, resource(1)));
}

TEST_F(connection_flows_test, a_disconnect_leaves_every_swarm_with_pushes_and_lists_the_emptied_ones) {
    auto a = swarms.connect(), b = swarms.connect();
    join(a, 1);
    join(a, 2);
    join(b, 2);
    auto o = flows::disconnect(ctx(), a);
    EXPECT_TRUE(o.reply.empty());
    ASSERT_EQ(o.deliveries.size(), 1u);
    EXPECT_EQ(o.deliveries[0].to, b);
    EXPECT_EQ(std::set(o.directory_leaves.begin(), o.directory_leaves.end()), (std::set{resource(1), resource(2)}));
    EXPECT_EQ(o.emptied, std::vector<resource_id>{resource(1)});
    EXPECT_EQ(swarms.stats().peers, 1u);
}

}  // namespace
}  // namespace peershare
