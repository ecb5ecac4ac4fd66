// Covers flows/signal_flow: a relay to a member here (no reply, the server sets `from`), a refused
// relay (an error with the request's id, nothing delivered), and a relay to a member on another
// instance through the directory with each route it can take.
#include "peershare/flows/signal_flow.hpp"

#include "flow_driver.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

namespace peershare {
namespace {

using flows::signal_flow;
using signaling::signal_kind;
using test::drive;
using test::resource;
using json = nlohmann::json;

const tracker::clock::time_point t0{std::chrono::hours(1000)};

class signal_flow_test : public ::testing::Test {
protected:
    signal_flow_test() : swarms(lim_), a(swarms.connect()), b(swarms.connect()) {
        join(a);
        join(b);
    }
    void TearDown() override { swarms.check_invariants(); }
    void join(const peer_id& p, unsigned r = 1) {
        ASSERT_EQ(swarms.announce(p, resource(r), false, swarm_info{}).error, errc::ok);
    }
    signal_flow flow(const peer_id& to, signal_kind kind = signal_kind::offer, bool spans = false) {
        return signal_flow({swarms, lim_, spans}, a, std::uint64_t{9}, signaling::signal{resource(1), to, kind, R"({"sdp":"x"})"}, t0);
    }

    limits lim_;
    tracker swarms;
    peer_id a, b;
};

TEST_F(signal_flow_test, a_relay_to_a_member_here_is_delivered_with_the_server_set_from_and_no_reply) {
    auto f = flow(b);
    auto d = drive(f);
    EXPECT_TRUE(d.steps.empty());
    EXPECT_TRUE(d.outcome.reply.empty()) << "a successful relay has no reply";
    EXPECT_EQ(d.outcome.error, errc::ok);
    ASSERT_EQ(d.outcome.deliveries.size(), 1u);
    EXPECT_EQ(d.outcome.deliveries[0].to, b);
    EXPECT_EQ(json::parse(*d.outcome.deliveries[0].text),
              (json{{"type", "signal"}, {"resource", resource(1).str()}, {"from", a.str()}, {"kind", "offer"}, {"data", {{"sdp", "x"}}}}));
    EXPECT_FALSE(d.outcome.cluster_relayed);
}

TEST_F(signal_flow_test, a_refused_relay_answers_the_request_id_and_delivers_nothing) {
    auto f = flow(b, signal_kind::answer);  // no offer from b to a
    auto d = drive(f);
    EXPECT_EQ(d.outcome.error, errc::no_offer);
    EXPECT_EQ(d.reply()["id"], 9);
    EXPECT_EQ(d.reply()["code"], "no_offer");
    EXPECT_TRUE(d.outcome.deliveries.empty());
}

TEST_F(signal_flow_test, with_one_instance_a_peer_that_is_no_member_here_is_unknown) {
    auto f = flow(peer_id::random());
    auto d = drive(f);
    EXPECT_TRUE(d.steps.empty()) << "nothing to ask the directory";
    EXPECT_EQ(d.outcome.error, errc::unknown_peer);
}

TEST_F(signal_flow_test, with_several_instances_a_peer_elsewhere_is_reached_through_the_directory) {
    auto elsewhere = peer_id::random();
    auto f = flow(elsewhere, signal_kind::offer, true);
    auto d = drive(f, [](const flows::step&) -> flows::result { return flows::relay_done{swarm_directory::route::delivered}; });
    ASSERT_EQ(d.step_names(), (std::vector<std::string>{"directory_relay"}));
    ASSERT_TRUE(d.steps[0].envelope);
    const auto& e = *d.steps[0].envelope;
    EXPECT_EQ(e.from, a);
    EXPECT_EQ(e.to, elsewhere);
    EXPECT_EQ(json::parse(e.text)["from"], a.str()) << "the frame the recipient gets, written here";
    EXPECT_TRUE(d.outcome.reply.empty());
    EXPECT_EQ(d.outcome.cluster_relayed, metrics::cluster_relay::delivered);
}

TEST_F(signal_flow_test, each_route_the_directory_reports_has_its_answer_and_metric) {
    struct expectation {
        swarm_directory::route route;
        errc error;
        metrics::cluster_relay counted;
    };
    for (auto [route, error, counted] : {expectation{swarm_directory::route::unknown_peer, errc::unknown_peer, metrics::cluster_relay::unknown_peer},
                                         expectation{swarm_directory::route::not_listening, errc::store_unavailable,
                                                     metrics::cluster_relay::not_listening}}) {
        auto f = flow(peer_id::random(), signal_kind::offer, true);
        auto d = drive(f, [route = route](const flows::step&) -> flows::result { return flows::relay_done{route}; });
        EXPECT_EQ(d.outcome.error, error);
        EXPECT_EQ(d.reply()["id"], 9);
        EXPECT_EQ(d.outcome.cluster_relayed, counted);
    }
    auto f = flow(peer_id::random(), signal_kind::offer, true);
    auto d = drive(f, [](const flows::step&) -> flows::result { return flows::unavailable{"Redis timed out"}; });
    EXPECT_EQ(d.outcome.error, errc::store_unavailable);
    EXPECT_EQ(d.outcome.cluster_relayed, metrics::cluster_relay::failed);
    ASSERT_EQ(d.outcome.notes.size(), 1u);
    EXPECT_EQ(d.outcome.notes[0].level, log::level::warn);
}

TEST_F(signal_flow_test, the_not_listening_answer_says_to_try_again) {
    auto f = flow(peer_id::random(), signal_kind::offer, true);
    auto d = drive(f, [](const flows::step&) -> flows::result { return flows::relay_done{swarm_directory::route::not_listening}; });
    EXPECT_EQ(d.reply()["message"], "the peer's server instance is reconnecting to Redis; try again");
}

TEST_F(signal_flow_test, a_flow_moved_while_it_waits_asks_again_for_the_relay_it_waits_on) {
    auto elsewhere = peer_id::random();
    auto f = flow(elsewhere, signal_kind::offer, true);
    auto first = test::record(f.start());
    signal_flow moved(std::move(f));
    auto again = test::record(moved.pending());
    EXPECT_EQ(again.name, "directory_relay");
    ASSERT_TRUE(again.envelope && first.envelope);
    EXPECT_EQ(again.envelope->to, elsewhere);
    EXPECT_EQ(again.envelope->text, first.envelope->text);
}

}  // namespace
}  // namespace peershare
