// Covers flows/lookup_flow: members come from the directory (across instances when it spans them),
// the share's info from a swarm here or else the store, the reply's count and list (the asker left
// out, complete holders first, at most max_lookup_peers), and every failure.
#include "peershare/flows/lookup_flow.hpp"

#include "flow_driver.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

namespace peershare {
namespace {

using flows::lookup_flow;
using test::driven;
using test::drive;

class lookup_flow_test : public ::testing::Test {
protected:
    lookup_flow_test() : swarms(make_limits()), directory(swarms) {}
    static limits make_limits() {
        limits lim;
        lim.max_lookup_peers = 3;
        return lim;
    }
    void TearDown() override { swarms.check_invariants(); }

    static resource_id id_of(unsigned n) { return resource_id::of_metadata(test::metadata_bytes(n)); }
    void join(const peer_id& p, unsigned n, bool complete) {
        ASSERT_EQ(swarms.announce(p, id_of(n), complete, flows::info_of(test::metadata_bytes(n), lim_)).error, errc::ok);
    }

    // A lookup of share n by `asker`, answered by a one-instance directory and a store that holds
    // the shares in `stored`.
    driven lookup(const peer_id& asker, unsigned n, std::vector<unsigned> stored = {}, std::uint64_t seed = 1) {
        lookup_flow flow({swarms, lim_, false}, asker, std::string("q"), signaling::lookup{id_of(n)}, seed);
        return drive(flow, [&](const flows::step& s) -> flows::result {
            if (const auto* m = std::get_if<flows::directory_members>(&s)) return flows::members_done{directory.members(m->id)};
            if (const auto* g = std::get_if<flows::store_get>(&s)) {
                for (unsigned k : stored)
                    if (id_of(k) == g->id.get()) return flows::load_done{resource_record{g->id, test::metadata_bytes(k), 1, 1}};
                return flows::load_done{std::nullopt};
            }
            ADD_FAILURE() << "unexpected step " << test::step_name(s);
            return flows::unavailable{"unexpected"};
        });
    }

    limits lim_ = make_limits();
    tracker swarms;
    local_directory directory;
};

TEST_F(lookup_flow_test, a_member_asking_is_left_out_of_list_and_count_and_complete_holders_come_first) {
    auto a = swarms.connect(), b = swarms.connect(), c = swarms.connect();
    join(a, 1, true);
    join(b, 1, false);
    join(c, 1, true);
    auto d = lookup(a, 1);
    ASSERT_EQ(d.step_names(), (std::vector<std::string>{"directory_members"})) << "a swarm here describes the share";
    auto r = d.reply();
    EXPECT_EQ(r["type"], "lookup_result");
    EXPECT_EQ(r["id"], "q");
    EXPECT_EQ(r["peer_count"], 2);
    ASSERT_EQ(r["peers"].size(), 2u);
    EXPECT_EQ(r["peers"][0], (nlohmann::json{{"peer", c.str()}, {"complete", true}}));
    EXPECT_EQ(r["peers"][1], (nlohmann::json{{"peer", b.str()}, {"complete", false}}));
    EXPECT_EQ(r["metadata_size"], test::metadata_bytes(1).size());
    EXPECT_TRUE(r.contains("metadata")) << "small metadata is sent inline";
}

TEST_F(lookup_flow_test, a_non_member_asking_counts_every_member) {
    auto a = swarms.connect(), b = swarms.connect(), asker = swarms.connect();
    join(a, 1, false);
    join(b, 1, false);
    auto r = lookup(asker, 1).reply();
    EXPECT_EQ(r["peer_count"], 2);
    EXPECT_EQ(r["peers"].size(), 2u);
}

TEST_F(lookup_flow_test, the_list_holds_at_most_max_lookup_peers_but_the_count_is_everyone) {
    std::vector<peer_id> members;
    for (int i = 0; i < 6; ++i) {
        members.push_back(swarms.connect());
        join(members.back(), 1, false);
    }
    auto r = lookup(members[0], 1).reply();
    EXPECT_EQ(r["peer_count"], 5);
    ASSERT_EQ(r["peers"].size(), 3u);
    for (const auto& p : r["peers"]) EXPECT_NE(p["peer"], members[0].str());
}

TEST_F(lookup_flow_test, different_lookups_show_different_members_of_a_long_list) {
    std::vector<peer_id> members;
    for (int i = 0; i < 8; ++i) {
        members.push_back(swarms.connect());
        join(members.back(), 1, true);
    }
    auto asker = swarms.connect();
    std::set<std::string> shown;
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        auto r = lookup(asker, 1, {}, seed).reply();
        ASSERT_EQ(r["peers"].size(), 3u);
        for (const auto& p : r["peers"]) shown.insert(p["peer"]);
    }
    EXPECT_GT(shown.size(), 3u) << "load spreads over the swarm";
}

TEST_F(lookup_flow_test, a_stored_share_without_a_swarm_is_described_from_the_store_with_no_peers) {
    auto asker = swarms.connect();
    auto d = lookup(asker, 2, {2});
    ASSERT_EQ(d.step_names(), (std::vector<std::string>{"directory_members", "store_get"}));
    auto r = d.reply();
    EXPECT_EQ(r["peer_count"], 0);
    EXPECT_TRUE(r["peers"].empty());
    EXPECT_EQ(r["metadata_size"], test::metadata_bytes(2).size());
}

TEST_F(lookup_flow_test, an_unknown_share_is_not_found) {
    auto d = lookup(swarms.connect(), 3);
    EXPECT_EQ(d.outcome.error, errc::not_found);
    EXPECT_EQ(d.reply()["id"], "q");
}

TEST_F(lookup_flow_test, members_on_other_instances_are_listed_and_the_store_describes_the_share) {
    auto asker = swarms.connect();
    auto elsewhere = peer_id::random();
    lookup_flow flow({swarms, lim_, true}, asker, std::string("q"), signaling::lookup{id_of(4)}, 1);
    auto d = drive(flow, [&](const flows::step& s) -> flows::result {
        if (std::holds_alternative<flows::directory_members>(s)) return flows::members_done{{{elsewhere, true}}};
        return flows::load_done{resource_record{id_of(4), test::metadata_bytes(4), 1, 1}};
    });
    auto r = d.reply();
    EXPECT_EQ(r["peer_count"], 1);
    ASSERT_EQ(r["peers"].size(), 1u);
    EXPECT_EQ(r["peers"][0]["peer"], elsewhere.str());
}

TEST_F(lookup_flow_test, a_directory_or_store_that_fails_gets_store_unavailable_naming_which) {
    auto asker = swarms.connect();
    {
        lookup_flow flow({swarms, lim_, true}, asker, std::string("q"), signaling::lookup{id_of(1)}, 1);
        auto d = drive(flow, [](const flows::step&) -> flows::result { return flows::unavailable{"gone"}; });
        EXPECT_EQ(d.outcome.error, errc::store_unavailable);
        ASSERT_EQ(d.outcome.notes.size(), 1u);
        EXPECT_EQ(d.outcome.notes[0].text, "cluster: lookup of " + id_of(1).str() + " failed: gone");
    }
    {
        lookup_flow flow({swarms, lim_, false}, asker, std::string("q"), signaling::lookup{id_of(1)}, 1);
        auto d = drive(flow, [](const flows::step& s) -> flows::result {
            if (std::holds_alternative<flows::directory_members>(s)) return flows::members_done{};
            return flows::unavailable{"disk I/O error"};
        });
        EXPECT_EQ(d.outcome.error, errc::store_unavailable);
        ASSERT_EQ(d.outcome.notes.size(), 1u);
        EXPECT_EQ(d.outcome.notes[0].text, "store: lookup of " + id_of(1).str() + " failed: disk I/O error");
    }
}

TEST_F(lookup_flow_test, metadata_too_large_to_send_inline_is_left_out_with_its_size) {
    auto asker = swarms.connect();
    limits small = lim_;
    small.max_inline_metadata = 8;
    lookup_flow flow({swarms, small, false}, asker, std::string("q"), signaling::lookup{id_of(2)}, 1);
    auto d = drive(flow, [&](const flows::step& s) -> flows::result {
        if (std::holds_alternative<flows::directory_members>(s)) return flows::members_done{};
        return flows::load_done{resource_record{id_of(2), test::metadata_bytes(2), 1, 1}};
    });
    auto r = d.reply();
    EXPECT_FALSE(r.contains("metadata")) << "the client fetches it over HTTP";
    EXPECT_EQ(r["metadata_size"], test::metadata_bytes(2).size());
}

TEST_F(lookup_flow_test, a_flow_moved_while_it_waits_asks_again_for_the_step_it_waits_on) {
    auto asker = swarms.connect();
    lookup_flow flow({swarms, lim_, false}, asker, std::string("q"), signaling::lookup{id_of(2)}, 1);
    EXPECT_EQ(test::record(flow.start()).name, "directory_members");
    lookup_flow moved(std::move(flow));
    EXPECT_EQ(test::record(moved.pending()).resource, id_of(2));
    auto get = test::record(moved.resume(flows::members_done{}));
    lookup_flow moved_again(std::move(moved));
    auto again = test::record(moved_again.pending());
    EXPECT_EQ(again.name, "store_get");
    EXPECT_EQ(again.resource, get.resource);
}

}  // namespace
}  // namespace peershare
