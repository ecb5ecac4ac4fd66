// Covers flows/announce_flow: what is verified before anything else, when the store is asked (and
// what for), the directory's join before the tracker's, every refusal and failure with what it
// leaves behind, and the undo of a join the tracker refuses after the directory took it.
#include "peershare/flows/announce_flow.hpp"

#include "flow_driver.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

namespace peershare {
namespace {

using flows::announce_flow;
using test::driven;
using test::drive;
using json = nlohmann::json;

class announce_flow_test : public ::testing::Test {
protected:
    announce_flow_test() : swarms(make_limits()), self(swarms.connect()), other(swarms.connect()) {}
    static limits make_limits() {
        limits lim;
        lim.max_swarms = 2;
        lim.max_swarm_size = 3;
        return lim;
    }
    void TearDown() override { swarms.check_invariants(); }

    flows::context ctx(bool spans = false) { return {swarms, lim_, spans}; }

    // An announce of share n by `self`, with its metadata or without.
    driven announce(unsigned n, bool with_metadata, const test::responder& answer, bool complete = false) {
        signaling::announce a{id_of(n), complete, std::nullopt};
        if (with_metadata) a.metadata = test::metadata_bytes(n);
        announce_flow flow(ctx(), self, std::uint64_t{7}, std::move(a));
        return drive(flow, answer);
    }
    static resource_id id_of(unsigned n) { return resource_id::of_metadata(test::metadata_bytes(n)); }

    // Answers like a working store and a one-instance directory.
    static flows::result working(const flows::step& s) {
        if (std::holds_alternative<flows::store_put>(s)) return flows::put_done{true};
        if (const auto* load = std::get_if<flows::store_load>(&s)) {
            for (unsigned n = 0; n < 8; ++n)
                if (id_of(n) == load->id.get()) return flows::load_done{resource_record{load->id, test::metadata_bytes(n), 1, 1}};
        }
        if (std::holds_alternative<flows::directory_join>(s)) return flows::join_done{};
        ADD_FAILURE() << "unexpected step " << test::step_name(s);
        return flows::unavailable{"unexpected"};
    }
    // A peer other than `self` holds share n here.
    void held_by_other(unsigned n) {
        auto r = swarms.announce(other, id_of(n), true, flows::info_of(test::metadata_bytes(n), lim_));
        ASSERT_EQ(r.error, errc::ok);
    }

    limits lim_ = make_limits();
    tracker swarms;
    peer_id self, other;
};

TEST_F(announce_flow_test, a_new_share_is_stored_then_joined_in_the_directory_then_in_the_tracker) {
    auto d = announce(1, true, working, true);
    ASSERT_EQ(d.step_names(), (std::vector<std::string>{"store_put", "directory_join"}));
    const auto& put = d.steps[0];
    EXPECT_EQ(put.resource, id_of(1));
    EXPECT_EQ(put.metadata, test::metadata_bytes(1)) << "the decoded bytes, as verified";
    const auto& join = d.steps[1];
    EXPECT_EQ(join.resource, id_of(1));
    EXPECT_EQ(join.peer, self);
    EXPECT_TRUE(join.complete);
    EXPECT_EQ(d.reply(), (json{{"type", "announced"}, {"id", 7}, {"resource", id_of(1).str()}, {"peers", 1}}));
    EXPECT_EQ(d.outcome.reply_type, signaling::server_type::announced);
    EXPECT_TRUE(d.outcome.share_added);
    EXPECT_TRUE(swarms.is_member(self, id_of(1)));
    EXPECT_TRUE(d.outcome.directory_leaves.empty());
}

TEST_F(announce_flow_test, a_share_the_store_already_had_is_not_counted_as_added) {
    auto d = announce(1, true, [](const flows::step& s) -> flows::result {
        if (std::holds_alternative<flows::store_put>(s)) return flows::put_done{false};
        return flows::join_done{};
    });
    EXPECT_EQ(d.reply()["type"], "announced");
    EXPECT_FALSE(d.outcome.share_added);
}

TEST_F(announce_flow_test, metadata_that_does_not_hash_to_the_id_is_refused_before_anything_else) {
    signaling::announce a{id_of(2), false, test::metadata_bytes(1)};
    announce_flow flow(ctx(), self, std::uint64_t{7}, std::move(a));
    auto d = drive(flow);
    EXPECT_TRUE(d.steps.empty()) << "nothing stored, nothing joined";
    EXPECT_EQ(d.outcome.error, errc::metadata_mismatch);
    EXPECT_EQ(d.reply()["code"], "metadata_mismatch");
    EXPECT_EQ(d.reply()["id"], 7);
    EXPECT_FALSE(swarms.is_member(self, id_of(2)));
}

TEST_F(announce_flow_test, metadata_that_breaks_the_layout_is_refused_with_the_rule_it_breaks) {
    auto bytes = test::metadata_bytes(1);
    bytes[0] = 'X';  // not the magic
    signaling::announce a{resource_id::of_metadata(bytes), false, bytes};
    announce_flow flow(ctx(), self, std::uint64_t{7}, std::move(a));
    auto d = drive(flow);
    EXPECT_TRUE(d.steps.empty());
    EXPECT_EQ(d.outcome.error, errc::bad_metadata);
    EXPECT_NE(d.reply()["message"].get<std::string>(), describe(errc::bad_metadata)) << "the rule, not the generic sentence";
}

TEST_F(announce_flow_test, an_unknown_share_without_metadata_is_looked_up_and_then_metadata_required) {
    auto d = announce(3, false, [](const flows::step& s) -> flows::result {
        EXPECT_TRUE(std::holds_alternative<flows::store_load>(s)) << test::step_name(s);
        return flows::load_done{std::nullopt};
    });
    ASSERT_EQ(d.step_names(), (std::vector<std::string>{"store_load"}));
    EXPECT_EQ(d.outcome.error, errc::metadata_required);
    EXPECT_FALSE(swarms.is_member(self, id_of(3)));
}

TEST_F(announce_flow_test, a_stored_share_without_metadata_joins_with_the_stored_metadata) {
    auto d = announce(4, false, working);
    ASSERT_EQ(d.step_names(), (std::vector<std::string>{"store_load", "directory_join"}));
    EXPECT_EQ(d.reply()["type"], "announced");
    EXPECT_FALSE(d.outcome.share_added);
    auto info = swarms.active_info(id_of(4));
    ASSERT_TRUE(info);
    EXPECT_EQ(info->metadata_size, test::metadata_bytes(4).size()) << "the swarm describes the stored share";
    ASSERT_TRUE(info->metadata_base64) << "small metadata is kept to send inline";
}

TEST_F(announce_flow_test, a_share_a_swarm_here_holds_needs_no_store_and_pushes_peer_joined) {
    held_by_other(5);
    auto d = announce(5, false, working);
    ASSERT_EQ(d.step_names(), (std::vector<std::string>{"directory_join"}));
    EXPECT_EQ(d.reply()["peers"], 2);
    ASSERT_EQ(d.outcome.deliveries.size(), 1u);
    EXPECT_EQ(d.outcome.deliveries[0].to, other);
    EXPECT_EQ(json::parse(*d.outcome.deliveries[0].text),
              (json{{"type", "peer_joined"}, {"resource", id_of(5).str()}, {"peer", self.str()}, {"complete", false}}));
}

TEST_F(announce_flow_test, the_count_is_the_swarms_size_across_instances_when_the_directory_knows_more) {
    auto d = announce(1, true, [](const flows::step& s) -> flows::result {
        if (std::holds_alternative<flows::store_put>(s)) return flows::put_done{true};
        return flows::join_done{{errc::ok, 5}};
    });
    EXPECT_EQ(d.reply()["peers"], 5);
}

TEST_F(announce_flow_test, an_announce_the_swarm_limits_refuse_stores_nothing) {
    ASSERT_EQ(announce(1, true, working).outcome.error, errc::ok);
    ASSERT_EQ(announce(2, true, working).outcome.error, errc::ok);
    auto d = announce(3, true, working);  // max_swarms = 2
    EXPECT_TRUE(d.steps.empty()) << "refused before the store is asked";
    EXPECT_EQ(d.outcome.error, errc::too_many_swarms);
    EXPECT_FALSE(d.outcome.share_added);
}

TEST_F(announce_flow_test, a_store_that_fails_gets_store_unavailable_with_a_log_line_and_no_membership) {
    auto d = announce(1, true, [](const flows::step&) -> flows::result { return flows::unavailable{"disk I/O error"}; });
    ASSERT_EQ(d.step_names(), (std::vector<std::string>{"store_put"}));
    EXPECT_EQ(d.outcome.error, errc::store_unavailable);
    ASSERT_EQ(d.outcome.notes.size(), 1u);
    EXPECT_EQ(d.outcome.notes[0].level, log::level::warn);
    EXPECT_EQ(d.outcome.notes[0].text, "store: announce of " + id_of(1).str() + " failed: disk I/O error");
    EXPECT_FALSE(swarms.is_member(self, id_of(1)));
}

TEST_F(announce_flow_test, a_swarm_full_across_instances_is_refused_and_joins_nothing_here) {
    auto d = announce(1, true, [](const flows::step& s) -> flows::result {
        if (std::holds_alternative<flows::store_put>(s)) return flows::put_done{true};
        return flows::join_done{{errc::swarm_full, 3}};
    });
    EXPECT_EQ(d.outcome.error, errc::swarm_full);
    EXPECT_FALSE(swarms.is_member(self, id_of(1)));
    EXPECT_TRUE(d.outcome.directory_leaves.empty()) << "the directory did not take it: nothing to undo";
    EXPECT_TRUE(d.outcome.share_added) << "the share was stored before the refusal, and stays stored";
}

TEST_F(announce_flow_test, a_directory_that_cannot_be_reached_gets_store_unavailable) {
    auto d = announce(1, true, [](const flows::step& s) -> flows::result {
        if (std::holds_alternative<flows::store_put>(s)) return flows::put_done{true};
        return flows::unavailable{"Redis timed out"};
    });
    EXPECT_EQ(d.outcome.error, errc::store_unavailable);
    ASSERT_EQ(d.outcome.notes.size(), 1u);
    EXPECT_EQ(d.outcome.notes[0].text, "cluster: announce of " + id_of(1).str() + " failed: Redis timed out");
    EXPECT_FALSE(swarms.is_member(self, id_of(1)));
}

TEST_F(announce_flow_test, a_join_the_tracker_refuses_after_the_directory_took_it_is_undone_in_the_directory) {
    held_by_other(6);
    std::vector<peer_id> late;
    auto d = announce(6, false, [&](const flows::step& s) -> flows::result {
        // While the directory answers, other connections fill the swarm (max_swarm_size 3).
        for (int i = 0; i < 2; ++i) {
            late.push_back(swarms.connect());
            EXPECT_EQ(swarms.announce(late.back(), id_of(6), false, flows::info_of(test::metadata_bytes(6), lim_)).error,
                      errc::ok);
        }
        EXPECT_TRUE(std::holds_alternative<flows::directory_join>(s));
        return flows::join_done{};
    });
    EXPECT_EQ(d.outcome.error, errc::swarm_full);
    EXPECT_FALSE(swarms.is_member(self, id_of(6)));
    EXPECT_EQ(d.outcome.directory_leaves, std::vector<resource_id>{id_of(6)}) << "the directory's membership is taken back";
    EXPECT_TRUE(d.outcome.deliveries.empty());
}

TEST_F(announce_flow_test, a_re_announce_changing_the_flag_needs_no_store_and_undoes_nothing) {
    ASSERT_EQ(announce(1, true, working).outcome.error, errc::ok);
    held_by_other(1);
    auto d = announce(1, false, working, true);
    ASSERT_EQ(d.step_names(), (std::vector<std::string>{"directory_join"}));
    EXPECT_EQ(d.reply()["peers"], 2);
    ASSERT_EQ(d.outcome.deliveries.size(), 1u) << "the other member hears of the new flag";
}

TEST_F(announce_flow_test, a_result_the_flow_did_not_ask_for_is_a_bug) {
    signaling::announce a{id_of(1), false, test::metadata_bytes(1)};
    announce_flow flow(ctx(), self, std::uint64_t{7}, std::move(a));
    ASSERT_TRUE(std::holds_alternative<flows::store_put>(flow.start()));
    EXPECT_DEATH(flow.resume(flows::relay_done{swarm_directory::route::delivered}), "the announce flow got a result it did not ask for");
}

TEST_F(announce_flow_test, a_flow_moved_while_it_waits_asks_again_for_the_step_it_waits_on) {
    signaling::announce a{id_of(1), true, test::metadata_bytes(1)};
    announce_flow flow(ctx(), self, std::uint64_t{7}, std::move(a));
    auto first = test::record(flow.start());
    announce_flow moved(std::move(flow));
    auto again = test::record(moved.pending());
    EXPECT_EQ(again.name, "store_put");
    EXPECT_EQ(again.resource, first.resource);
    EXPECT_EQ(again.metadata, first.metadata);
    auto joined = test::record(moved.resume(flows::put_done{true}));
    announce_flow moved_again(std::move(moved));
    auto join = test::record(moved_again.pending());
    EXPECT_EQ(join.name, "directory_join");
    EXPECT_EQ(join.resource, joined.resource);
    EXPECT_EQ(join.peer, self);
    EXPECT_TRUE(join.complete);
    auto done = moved_again.resume(flows::join_done{});
    ASSERT_TRUE(std::holds_alternative<flows::finish>(done));
    EXPECT_EQ(std::get<flows::finish>(done).result.reply_type, signaling::server_type::announced);
}

}  // namespace
}  // namespace peershare
