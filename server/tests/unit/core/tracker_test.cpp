// Covers core/tracker: who gets peer_joined/peer_left pushes, member lists, relay rules and the server-set `from`, leave and disconnect.
#include "peershare/core/tracker.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace peershare {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using signaling::server_type;
using signaling::signal_kind;
using test::resource;
using time_point = tracker::clock::time_point;

const time_point t0{std::chrono::hours(1000)};

std::set<peer_id> recipients(const outbox& out) {
    std::set<peer_id> to;
    for (const auto& o : out) to.insert(o.to);
    return to;
}

class tracker_test : public ::testing::Test {
protected:
    tracker_test() : t(make_limits()) {}
    static limits make_limits() {
        limits lim;
        lim.max_lookup_peers = 3;
        lim.max_swarms = 2;
        return lim;
    }
    swarm_info info() {
        swarm_info i;
        i.metadata_size = 122;
        i.metadata_base64 = std::make_shared<const std::string>("UFNIMQ==");
        return i;
    }
    tracker::announce_result announce(const peer_id& p, unsigned r, bool complete = false) {
        return t.announce(p, resource(r), complete, info());
    }
    signaling::signal signal_to(const peer_id& to, signal_kind kind, unsigned r = 1, std::string data = R"({"sdp":"x"})") {
        return {resource(r), to, kind, std::move(data)};
    }

    tracker t;
};

// --- connect ---

TEST_F(tracker_test, connect_assigns_distinct_random_peer_ids) {
    auto a = t.connect();
    auto b = t.connect();
    EXPECT_NE(a, b);
    EXPECT_TRUE(is_lower_hex(a.str(), peer_id::hex_length));
    EXPECT_EQ(t.stats().peers, 2u);
}

// --- announce ---

TEST_F(tracker_test, first_announce_creates_the_swarm_and_pushes_nothing) {
    auto a = t.connect();
    auto r = announce(a, 1);
    EXPECT_EQ(r.error, errc::ok);
    EXPECT_EQ(r.peers, 1u);
    EXPECT_TRUE(r.created);
    EXPECT_TRUE(r.out.empty());
    EXPECT_TRUE(t.is_active(resource(1)));
    ASSERT_TRUE(t.active_info(resource(1)));
    EXPECT_EQ(t.active_info(resource(1))->metadata_size, 122u);
}

TEST_F(tracker_test, announce_pushes_peer_joined_to_the_other_members_only) {
    auto a = t.connect(), b = t.connect(), c = t.connect(), outsider = t.connect();
    announce(a, 1);
    announce(b, 1);
    announce(outsider, 2);
    auto r = announce(c, 1, true);
    EXPECT_EQ(r.error, errc::ok);
    EXPECT_EQ(r.peers, 3u);
    EXPECT_FALSE(r.created);
    EXPECT_EQ(recipients(r.out), (std::set{a, b}));
    ASSERT_EQ(r.out.size(), 2u);
    for (const auto& o : r.out) {
        EXPECT_EQ(o.type, server_type::peer_joined);
        EXPECT_EQ(json::parse(*o.text),
                  (json{{"type", "peer_joined"}, {"resource", resource(1).str()}, {"peer", c.str()}, {"complete", true}}));
    }
}

TEST_F(tracker_test, re_announce_with_a_new_complete_flag_pushes_peer_joined_again) {
    auto a = t.connect(), b = t.connect();
    announce(a, 1);
    announce(b, 1, false);
    auto r = announce(b, 1, true);
    EXPECT_EQ(r.error, errc::ok);
    EXPECT_EQ(r.peers, 2u);
    ASSERT_EQ(r.out.size(), 1u);
    EXPECT_EQ(r.out[0].to, a);
    EXPECT_EQ(json::parse(*r.out[0].text)["complete"], true);
    EXPECT_EQ(t.holders(resource(1)).complete, 1u);
}

TEST_F(tracker_test, re_announce_with_the_same_flag_pushes_nothing) {
    auto a = t.connect(), b = t.connect();
    announce(a, 1);
    announce(b, 1, true);
    auto r = announce(b, 1, true);
    EXPECT_EQ(r.error, errc::ok);
    EXPECT_EQ(r.peers, 2u);
    EXPECT_TRUE(r.out.empty());
}

TEST_F(tracker_test, refused_announce_reports_the_error_and_pushes_nothing) {
    auto a = t.connect(), b = t.connect();
    announce(b, 3);
    announce(a, 1);
    announce(a, 2);
    auto r = announce(a, 3);  // max_swarms is 2
    EXPECT_EQ(r.error, errc::too_many_swarms);
    EXPECT_TRUE(r.out.empty());
    EXPECT_EQ(t.holders(resource(3)).holders, 1u);
}

TEST_F(tracker_test, admits_tells_in_advance_whether_an_announce_would_be_refused) {
    auto a = t.connect(), b = t.connect();
    announce(a, 1);
    announce(a, 2);
    EXPECT_EQ(t.admits(a, resource(3)), errc::too_many_swarms);  // max_swarms is 2
    EXPECT_EQ(t.admits(a, resource(1)), errc::ok) << "re-announcing a swarm it is in";
    EXPECT_EQ(t.admits(b, resource(3)), errc::ok);
    EXPECT_FALSE(t.is_active(resource(3))) << "admits changes nothing";
    EXPECT_EQ(t.stats().memberships, 2u);
}

// --- members (lookups list them: flows/lookup_flow, tests/unit/flows/lookup_flow_test.cpp) ---

TEST_F(tracker_test, members_lists_every_member_with_its_flag_and_none_of_an_inactive_share) {
    auto a = t.connect(), b = t.connect();
    EXPECT_TRUE(t.members(resource(1)).empty());
    announce(a, 1, true);
    announce(b, 1, false);
    auto m = t.members(resource(1));
    ASSERT_EQ(m.size(), 2u);
    std::sort(m.begin(), m.end(), [](const member_view& x, const member_view& y) { return x.peer < y.peer; });
    auto first = std::min(a, b);
    EXPECT_EQ(m[0].peer, first);
    EXPECT_EQ(m[0].complete, first == a);
    EXPECT_EQ(m[1].complete, first != a);
}

// --- relay ---

TEST_F(tracker_test, relay_delivers_to_the_target_with_the_server_set_from) {
    auto a = t.connect(), b = t.connect(), c = t.connect();
    announce(a, 1);
    announce(b, 1);
    announce(c, 1);
    auto r = t.relay(a, signal_to(b, signal_kind::offer, 1, R"({"sdp":"v=0"})"), t0);
    EXPECT_EQ(r.error, errc::ok);
    ASSERT_EQ(r.out.size(), 1u);
    EXPECT_EQ(r.out[0].to, b);
    EXPECT_EQ(r.out[0].type, server_type::signal);
    EXPECT_EQ(json::parse(*r.out[0].text), (json{{"type", "signal"},
                                                 {"resource", resource(1).str()},
                                                 {"from", a.str()},
                                                 {"kind", "offer"},
                                                 {"data", {{"sdp", "v=0"}}}}));
}

TEST_F(tracker_test, relay_answer_and_candidates_follow_the_negotiation) {
    auto a = t.connect(), b = t.connect();
    announce(a, 1);
    announce(b, 1);
    EXPECT_EQ(t.relay(b, signal_to(a, signal_kind::answer), t0).error, errc::no_offer);
    EXPECT_EQ(t.relay(a, signal_to(b, signal_kind::offer), t0).error, errc::ok);
    EXPECT_EQ(t.relay(b, signal_to(a, signal_kind::candidate, 1, R"("c")"), t0).error, errc::ok);
    auto answer = t.relay(b, signal_to(a, signal_kind::answer), t0);
    EXPECT_EQ(answer.error, errc::ok);
    ASSERT_EQ(answer.out.size(), 1u);
    EXPECT_EQ(json::parse(*answer.out[0].text)["from"], b.str());
    EXPECT_EQ(t.stats().negotiations, 1u);
}

TEST_F(tracker_test, refused_relay_sends_nothing) {
    auto a = t.connect(), b = t.connect();
    announce(a, 1);
    announce(b, 1);
    auto r = t.relay(a, signal_to(b, signal_kind::candidate), t0);
    EXPECT_EQ(r.error, errc::no_offer);
    EXPECT_TRUE(r.out.empty());
}

TEST_F(tracker_test, relay_from_a_sender_outside_the_swarm_is_not_in_swarm) {
    auto a = t.connect(), b = t.connect();
    announce(b, 1);
    announce(a, 2);
    auto r = t.relay(a, signal_to(b, signal_kind::offer, 1), t0);
    EXPECT_EQ(r.error, errc::not_in_swarm);
    EXPECT_TRUE(r.out.empty());
}

TEST_F(tracker_test, relay_to_a_target_outside_the_swarm_is_unknown_peer) {
    auto a = t.connect(), b = t.connect(), never_announced = t.connect();
    announce(a, 1);
    announce(b, 2);  // b is connected but in another swarm
    EXPECT_EQ(t.relay(a, signal_to(b, signal_kind::offer, 1), t0).error, errc::unknown_peer);
    EXPECT_EQ(t.relay(a, signal_to(never_announced, signal_kind::offer, 1), t0).error, errc::unknown_peer);
    EXPECT_EQ(t.relay(a, signal_to(test::peer(12345), signal_kind::offer, 1), t0).error, errc::unknown_peer);
}

TEST_F(tracker_test, relay_to_oneself_is_unknown_peer) {
    auto a = t.connect(), b = t.connect();
    announce(a, 1);
    announce(b, 1);
    auto r = t.relay(a, signal_to(a, signal_kind::offer), t0);
    EXPECT_EQ(r.error, errc::unknown_peer);
    EXPECT_TRUE(r.out.empty());
}

TEST_F(tracker_test, relay_is_refused_once_the_target_leaves) {
    auto a = t.connect(), b = t.connect();
    announce(a, 1);
    announce(b, 1);
    EXPECT_EQ(t.relay(a, signal_to(b, signal_kind::offer), t0).error, errc::ok);
    t.leave(b, resource(1));
    EXPECT_EQ(t.relay(a, signal_to(b, signal_kind::candidate), t0).error, errc::unknown_peer);
}

TEST_F(tracker_test, prune_forgets_expired_negotiations) {
    auto a = t.connect(), b = t.connect();
    announce(a, 1);
    announce(b, 1);
    t.relay(a, signal_to(b, signal_kind::offer), t0);
    EXPECT_EQ(t.stats().negotiations, 1u);
    t.prune(t0 + 1s);
    EXPECT_EQ(t.stats().negotiations, 1u);
    t.prune(t0 + limits{}.signal_session_ttl);
    EXPECT_EQ(t.stats().negotiations, 0u);
}

// --- leave ---

TEST_F(tracker_test, leave_pushes_peer_left_to_the_remaining_members) {
    auto a = t.connect(), b = t.connect(), c = t.connect();
    announce(a, 1);
    announce(b, 1);
    announce(c, 1);
    auto r = t.leave(a, resource(1));
    EXPECT_EQ(r.error, errc::ok);
    EXPECT_FALSE(r.emptied);
    EXPECT_EQ(recipients(r.out), (std::set{b, c}));
    for (const auto& o : r.out) {
        EXPECT_EQ(o.type, server_type::peer_left);
        EXPECT_EQ(json::parse(*o.text), (json{{"type", "peer_left"}, {"resource", resource(1).str()}, {"peer", a.str()}}));
    }
    EXPECT_EQ(t.holders(resource(1)).holders, 2u);
}

TEST_F(tracker_test, leave_of_the_last_member_reports_emptied) {
    auto a = t.connect();
    announce(a, 1);
    auto r = t.leave(a, resource(1));
    EXPECT_EQ(r.error, errc::ok);
    EXPECT_TRUE(r.emptied);
    EXPECT_TRUE(r.out.empty());
    EXPECT_FALSE(t.is_active(resource(1)));
    EXPECT_FALSE(t.active_info(resource(1)));
}

TEST_F(tracker_test, active_resources_lists_every_swarm_until_it_empties) {
    EXPECT_TRUE(t.active_resources().empty());
    auto a = t.connect(), b = t.connect();
    announce(a, 1);
    announce(a, 2);
    announce(b, 2);
    auto listed = t.active_resources();
    std::sort(listed.begin(), listed.end());
    EXPECT_EQ(listed, (std::vector{resource(1), resource(2)}));
    t.leave(a, resource(2));
    t.disconnect(a);
    EXPECT_EQ(t.active_resources(), std::vector{resource(2)}) << "b still holds 2";
}

TEST_F(tracker_test, leave_of_a_swarm_one_is_not_in_is_not_in_swarm) {
    auto a = t.connect(), b = t.connect();
    announce(b, 1);
    auto r = t.leave(a, resource(1));
    EXPECT_EQ(r.error, errc::not_in_swarm);
    EXPECT_TRUE(r.out.empty());
    EXPECT_EQ(t.leave(a, resource(2)).error, errc::not_in_swarm);
}

// --- disconnect ---

TEST_F(tracker_test, disconnect_leaves_every_swarm_with_pushes_and_lists_the_emptied_ones) {
    auto a = t.connect(), b = t.connect(), c = t.connect();
    announce(a, 1);
    announce(a, 2);
    announce(b, 1);
    announce(c, 1);
    t.relay(b, signal_to(a, signal_kind::offer), t0);
    auto r = t.disconnect(a);
    EXPECT_EQ(recipients(r.out), (std::set{b, c}));
    ASSERT_EQ(r.out.size(), 2u);
    for (const auto& o : r.out) {
        EXPECT_EQ(o.type, server_type::peer_left);
        EXPECT_EQ(json::parse(*o.text)["peer"], a.str());
        EXPECT_EQ(json::parse(*o.text)["resource"], resource(1).str());
    }
    EXPECT_EQ(r.emptied, std::vector{resource(2)});
    EXPECT_FALSE(t.is_active(resource(2)));
    EXPECT_EQ(t.holders(resource(1)).holders, 2u);
    auto s = t.stats();
    EXPECT_EQ(s.peers, 2u);
    EXPECT_EQ(s.swarms, 1u);
    EXPECT_EQ(s.memberships, 2u);
    EXPECT_EQ(s.negotiations, 0u) << "its negotiations are forgotten";
}

TEST_F(tracker_test, disconnect_twice_or_of_an_unknown_peer_changes_nothing) {
    auto a = t.connect(), b = t.connect();
    announce(a, 1);
    announce(b, 1);
    t.disconnect(a);
    auto again = t.disconnect(a);
    EXPECT_TRUE(again.out.empty());
    EXPECT_TRUE(again.emptied.empty());
    auto unknown = t.disconnect(test::peer(777));
    EXPECT_TRUE(unknown.out.empty());
    EXPECT_EQ(t.stats().peers, 1u);
}

TEST_F(tracker_test, holders_and_stats_count_members) {
    auto a = t.connect(), b = t.connect();
    t.connect();  // connected, in no swarm
    announce(a, 1, true);
    announce(b, 1, false);
    announce(b, 2, true);
    EXPECT_EQ(t.holders(resource(1)).holders, 2u);
    EXPECT_EQ(t.holders(resource(1)).complete, 1u);
    EXPECT_EQ(t.holders(resource(9)).holders, 0u);
    auto s = t.stats();
    EXPECT_EQ(s.peers, 3u);
    EXPECT_EQ(s.swarms, 2u);
    EXPECT_EQ(s.memberships, 3u);
}

// --- several instances ---

TEST_F(tracker_test, relay_to_a_peer_not_here_is_left_to_the_caller_only_when_allowed) {
    auto a = t.connect();
    announce(a, 1);
    auto elsewhere = peer_id::random();
    EXPECT_EQ(t.relay(a, signal_to(elsewhere, signal_kind::offer), t0).error, errc::unknown_peer);
    auto r = t.relay(a, signal_to(elsewhere, signal_kind::offer, 1, R"({"sdp":"x"})"), t0, true);
    EXPECT_EQ(r.error, errc::ok);
    EXPECT_TRUE(r.out.empty());
    ASSERT_TRUE(r.remote);
    EXPECT_EQ(r.remote->to, elsewhere);
    EXPECT_EQ(r.remote->from, a);
    EXPECT_EQ(json::parse(r.remote->text)["data"], (json{{"sdp", "x"}}));
    // The negotiation is recorded on the sender's side: an answer from a to it has no offer.
    EXPECT_EQ(t.relay(a, signal_to(elsewhere, signal_kind::answer), t0, true).error, errc::no_offer);
}

TEST_F(tracker_test, a_signal_from_another_instance_opens_the_negotiation_here) {
    auto b = t.connect();
    announce(b, 1);
    auto remote = peer_id::random();
    cluster::signal_envelope offer{resource(1), remote, b, signal_kind::offer, "frame"};
    auto out = t.from_instance(offer, t0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].to, b);
    EXPECT_EQ(*out[0].text, "frame");
    EXPECT_EQ(t.relay(b, signal_to(remote, signal_kind::answer), t0, true).error, errc::ok);
    // For a peer that is no member here, nothing is delivered.
    cluster::signal_envelope stray{resource(2), remote, b, signal_kind::offer, "frame"};
    EXPECT_TRUE(t.from_instance(stray, t0).empty());
}

TEST_F(tracker_test, joins_and_leaves_elsewhere_are_pushed_to_the_members_here) {
    auto a = t.connect(), b = t.connect();
    announce(a, 1);
    announce(b, 1);
    auto remote = peer_id::random();
    auto joined = t.from_instance(cluster::joined_envelope{resource(1), remote, true}, t0);
    ASSERT_EQ(joined.size(), 2u);
    EXPECT_EQ(joined[0].type, server_type::peer_joined);
    EXPECT_EQ(json::parse(*joined[0].text)["peer"], remote.str());
    auto left = t.from_instance(cluster::left_envelope{resource(1), remote}, t0);
    ASSERT_EQ(left.size(), 2u);
    EXPECT_EQ(left[0].type, server_type::peer_left);
    EXPECT_TRUE(t.from_instance(cluster::left_envelope{resource(2), remote}, t0).empty());
    EXPECT_EQ(t.memberships().size(), 2u);
}

}  // namespace
}  // namespace peershare
