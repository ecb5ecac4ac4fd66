// Covers core/swarm_registry: join/leave/remove_peer and their invariants, complete counts, the swarm limits, and sampling.
#include "peershare/core/swarm_registry.hpp"

#include "peershare/core/cluster.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

namespace peershare {
namespace {

using test::peer;
using test::resource;

class swarm_registry_test : public ::testing::Test {
protected:
    swarm_registry_test() {
        for (unsigned i = 0; i < 10; ++i) reg.add_peer(peer(i));
    }
    // Every test ends with the whole registry consistent (aborts with the broken invariant).
    void TearDown() override { reg.check_invariants(); }
    swarm_info info_with_size(std::size_t n) {
        swarm_info info;
        info.metadata_size = n;
        return info;
    }
    swarm_registry::join_result join(unsigned p, unsigned r, bool complete = false) {
        return reg.join(peer(p), resource(r), complete, info_with_size(100 + r));
    }
    // Checks the documented invariant: a peer is in a swarm's members exactly when the swarm counts
    // in the peer's swarms, and membership_count is the total.
    void expect_consistent(std::initializer_list<unsigned> peers, std::initializer_list<unsigned> resources) {
        std::size_t memberships = 0;
        for (unsigned p : peers) {
            std::size_t in = 0;
            for (unsigned r : resources) {
                auto members = reg.members(resource(r));
                bool listed = std::find(members.begin(), members.end(), peer(p)) != members.end();
                EXPECT_EQ(listed, reg.is_member(peer(p), resource(r))) << "peer " << p << " resource " << r;
                in += listed ? 1 : 0;
            }
            EXPECT_EQ(reg.swarms_of(peer(p)), in) << "peer " << p;
            memberships += in;
        }
        EXPECT_EQ(reg.membership_count(), memberships);
        for (unsigned r : resources) EXPECT_EQ(reg.is_active(resource(r)), reg.size(resource(r)) > 0) << "resource " << r;
    }

    limits lim;  // outlives reg, which keeps a reference
    swarm_registry reg{lim};
};

TEST_F(swarm_registry_test, first_join_creates_the_swarm_with_its_info) {
    auto j = join(1, 7);
    EXPECT_EQ(j.error, errc::ok);
    EXPECT_TRUE(j.created);
    EXPECT_TRUE(j.changed);
    EXPECT_EQ(j.size, 1u);
    EXPECT_TRUE(reg.is_active(resource(7)));
    ASSERT_NE(reg.info(resource(7)), nullptr);
    EXPECT_EQ(reg.info(resource(7))->metadata_size, 107u);
    EXPECT_EQ(reg.swarm_count(), 1u);
    expect_consistent({1}, {7});
}

TEST_F(swarm_registry_test, later_joins_grow_the_swarm_and_keep_its_first_info) {
    join(1, 7);
    auto j = reg.join(peer(2), resource(7), false, info_with_size(999));
    EXPECT_EQ(j.error, errc::ok);
    EXPECT_FALSE(j.created);
    EXPECT_TRUE(j.changed);
    EXPECT_EQ(j.size, 2u);
    EXPECT_EQ(reg.info(resource(7))->metadata_size, 107u);
    EXPECT_EQ(reg.swarm_count(), 1u);
    expect_consistent({1, 2}, {7});
}

TEST_F(swarm_registry_test, one_peer_may_be_in_several_swarms) {
    join(1, 7);
    join(1, 8);
    join(2, 8);
    EXPECT_EQ(reg.swarms_of(peer(1)), 2u);
    EXPECT_EQ(reg.swarm_count(), 2u);
    EXPECT_EQ(reg.membership_count(), 3u);
    expect_consistent({1, 2}, {7, 8});
}

TEST_F(swarm_registry_test, complete_count_counts_complete_members) {
    join(1, 7, true);
    join(2, 7, false);
    join(3, 7, true);
    EXPECT_EQ(reg.size(resource(7)), 3u);
    EXPECT_EQ(reg.complete_count(resource(7)), 2u);
}

TEST_F(swarm_registry_test, re_announce_with_the_other_flag_flips_complete_and_reports_changed) {
    join(1, 7, false);
    auto up = join(1, 7, true);
    EXPECT_EQ(up.error, errc::ok);
    EXPECT_FALSE(up.created);
    EXPECT_TRUE(up.changed);
    EXPECT_EQ(up.size, 1u);
    EXPECT_EQ(reg.complete_count(resource(7)), 1u);
    auto down = join(1, 7, false);
    EXPECT_TRUE(down.changed);
    EXPECT_EQ(reg.complete_count(resource(7)), 0u);
    EXPECT_EQ(reg.membership_count(), 1u);
}

TEST_F(swarm_registry_test, re_announce_with_the_same_flag_changes_nothing) {
    join(1, 7, true);
    auto again = join(1, 7, true);
    EXPECT_EQ(again.error, errc::ok);
    EXPECT_FALSE(again.created);
    EXPECT_FALSE(again.changed);
    EXPECT_EQ(again.size, 1u);
    EXPECT_EQ(reg.complete_count(resource(7)), 1u);
    EXPECT_EQ(reg.membership_count(), 1u);
}

TEST_F(swarm_registry_test, leave_of_a_non_member_reports_was_member_false) {
    join(1, 7);
    auto l = reg.leave(peer(2), resource(7));
    EXPECT_FALSE(l.was_member);
    EXPECT_FALSE(l.emptied);
    auto unknown = reg.leave(peer(1), resource(8));
    EXPECT_FALSE(unknown.was_member);
    EXPECT_EQ(reg.size(resource(7)), 1u);
}

TEST_F(swarm_registry_test, leave_keeps_the_swarm_while_members_remain) {
    join(1, 7, true);
    join(2, 7, true);
    auto l = reg.leave(peer(1), resource(7));
    EXPECT_TRUE(l.was_member);
    EXPECT_FALSE(l.emptied);
    EXPECT_EQ(reg.size(resource(7)), 1u);
    EXPECT_EQ(reg.complete_count(resource(7)), 1u);
    EXPECT_FALSE(reg.is_member(peer(1), resource(7)));
    expect_consistent({1, 2}, {7});
}

TEST_F(swarm_registry_test, leave_of_the_last_member_removes_the_swarm) {
    join(1, 7, true);
    auto l = reg.leave(peer(1), resource(7));
    EXPECT_TRUE(l.was_member);
    EXPECT_TRUE(l.emptied);
    EXPECT_FALSE(reg.is_active(resource(7)));
    EXPECT_EQ(reg.info(resource(7)), nullptr);
    EXPECT_EQ(reg.size(resource(7)), 0u);
    EXPECT_EQ(reg.complete_count(resource(7)), 0u);
    EXPECT_EQ(reg.swarm_count(), 0u);
    EXPECT_EQ(reg.membership_count(), 0u);
    EXPECT_TRUE(reg.has_peer(peer(1))) << "leaving a swarm does not unregister the peer";
}

TEST_F(swarm_registry_test, swarm_recreated_after_emptying_takes_the_new_info) {
    join(1, 7);
    reg.leave(peer(1), resource(7));
    auto j = reg.join(peer(2), resource(7), false, info_with_size(5));
    EXPECT_TRUE(j.created);
    EXPECT_EQ(reg.info(resource(7))->metadata_size, 5u);
}

TEST_F(swarm_registry_test, remove_peer_leaves_every_swarm_and_reports_the_emptied_ones) {
    join(1, 7, true);
    join(1, 8);
    join(1, 9);
    join(2, 8, true);
    auto removal = reg.remove_peer(peer(1));
    std::set<resource_id> left(removal.left.begin(), removal.left.end());
    std::set<resource_id> emptied(removal.emptied.begin(), removal.emptied.end());
    EXPECT_EQ(removal.left.size(), 3u);
    EXPECT_EQ(left, (std::set{resource(7), resource(8), resource(9)}));
    EXPECT_EQ(emptied, (std::set{resource(7), resource(9)}));
    EXPECT_FALSE(reg.has_peer(peer(1)));
    EXPECT_EQ(reg.swarms_of(peer(1)), 0u);
    EXPECT_FALSE(reg.is_active(resource(7)));
    EXPECT_EQ(reg.size(resource(8)), 1u);
    EXPECT_EQ(reg.complete_count(resource(8)), 1u);
    EXPECT_EQ(reg.swarm_count(), 1u);
    expect_consistent({1, 2}, {7, 8, 9});
}

TEST_F(swarm_registry_test, remove_peer_of_an_unknown_peer_does_nothing) {
    join(1, 7);
    auto removal = reg.remove_peer(peer(99));
    EXPECT_TRUE(removal.left.empty());
    EXPECT_TRUE(removal.emptied.empty());
    EXPECT_EQ(reg.size(resource(7)), 1u);
}

TEST_F(swarm_registry_test, join_past_max_swarms_is_too_many_swarms_and_changes_nothing) {
    lim.max_swarms = 2;
    join(1, 7);
    join(1, 8);
    auto j = join(1, 9);
    EXPECT_EQ(j.error, errc::too_many_swarms);
    EXPECT_FALSE(reg.is_active(resource(9)));
    EXPECT_EQ(reg.swarms_of(peer(1)), 2u);
    EXPECT_EQ(reg.swarm_count(), 2u);
    // Another peer is not affected by peer 1's count.
    EXPECT_EQ(join(2, 9).error, errc::ok);
    expect_consistent({1, 2}, {7, 8, 9});
}

TEST_F(swarm_registry_test, re_announce_at_max_swarms_is_still_allowed) {
    lim.max_swarms = 2;
    join(1, 7);
    join(1, 8);
    auto j = join(1, 8, true);
    EXPECT_EQ(j.error, errc::ok);
    EXPECT_TRUE(j.changed);
}

TEST_F(swarm_registry_test, leaving_frees_a_swarm_slot) {
    lim.max_swarms = 1;
    join(1, 7);
    EXPECT_EQ(join(1, 8).error, errc::too_many_swarms);
    reg.leave(peer(1), resource(7));
    EXPECT_EQ(join(1, 8).error, errc::ok);
}

TEST_F(swarm_registry_test, join_into_a_full_swarm_is_swarm_full_and_changes_nothing) {
    lim.max_swarm_size = 2;
    join(1, 7);
    join(2, 7);
    auto j = join(3, 7);
    EXPECT_EQ(j.error, errc::swarm_full);
    EXPECT_FALSE(reg.is_member(peer(3), resource(7)));
    EXPECT_EQ(reg.size(resource(7)), 2u);
    EXPECT_EQ(reg.swarms_of(peer(3)), 0u);
    expect_consistent({1, 2, 3}, {7});
}

TEST_F(swarm_registry_test, admits_answers_what_join_would_and_changes_nothing) {
    lim.max_swarms = 2;
    lim.max_swarm_size = 2;
    join(1, 7);
    join(2, 7);
    join(1, 8);
    EXPECT_EQ(reg.admits(peer(1), resource(7)), errc::ok) << "a member re-announcing";
    EXPECT_EQ(reg.admits(peer(1), resource(9)), errc::too_many_swarms);
    EXPECT_EQ(reg.admits(peer(3), resource(7)), errc::swarm_full);
    EXPECT_EQ(reg.admits(peer(3), resource(9)), errc::ok) << "a new swarm";
    EXPECT_EQ(reg.admits(peer(99), resource(9)), errc::internal) << "a peer never added";
    EXPECT_FALSE(reg.is_active(resource(9)));
    EXPECT_EQ(reg.swarm_count(), 2u);
    EXPECT_EQ(join(1, 9).error, reg.admits(peer(1), resource(9)));
    EXPECT_EQ(join(3, 7).error, reg.admits(peer(3), resource(7)));
    expect_consistent({1, 2, 3}, {7, 8, 9});
}

TEST_F(swarm_registry_test, member_of_a_full_swarm_may_re_announce) {
    lim.max_swarm_size = 2;
    join(1, 7);
    join(2, 7);
    auto j = join(2, 7, true);
    EXPECT_EQ(j.error, errc::ok);
    EXPECT_TRUE(j.changed);
    EXPECT_EQ(reg.complete_count(resource(7)), 1u);
}

TEST_F(swarm_registry_test, members_lists_everyone_but_the_excepted_peer) {
    join(1, 7);
    join(2, 7);
    join(3, 7);
    auto all = reg.members(resource(7));
    EXPECT_EQ(std::set(all.begin(), all.end()), (std::set{peer(1), peer(2), peer(3)}));
    auto p2 = peer(2);
    auto others = reg.members(resource(7), &p2);
    EXPECT_EQ(std::set(others.begin(), others.end()), (std::set{peer(1), peer(3)}));
    EXPECT_TRUE(reg.members(resource(8)).empty());
}

TEST_F(swarm_registry_test, a_sample_of_the_members_puts_complete_holders_first_and_excludes_the_asker) {
    for (unsigned p = 1; p <= 3; ++p) join(p, 7, true);
    for (unsigned p = 4; p <= 6; ++p) join(p, 7, false);
    for (unsigned seed = 0; seed < 20; ++seed) {
        std::mt19937_64 rng(seed);
        auto s = cluster::sample(reg.member_views(resource(7)), peer(1), 50, rng);
        ASSERT_EQ(s.size(), 5u);
        std::set<peer_id> seen;
        for (std::size_t i = 0; i < s.size(); ++i) {
            EXPECT_EQ(s[i].complete, i < 2) << "seed " << seed << " position " << i;
            EXPECT_NE(s[i].peer, peer(1)) << "the asker is never offered to itself";
            EXPECT_EQ(s[i].complete, s[i].peer == peer(2) || s[i].peer == peer(3)) << "the flag is the member's";
            seen.insert(s[i].peer);
        }
        EXPECT_EQ(seen.size(), 5u) << "no peer appears twice";
    }
}

TEST_F(swarm_registry_test, a_sample_of_the_members_respects_max_and_fills_it_with_complete_holders_first) {
    for (unsigned p = 1; p <= 3; ++p) join(p, 7, true);
    for (unsigned p = 4; p <= 8; ++p) join(p, 7, false);
    std::mt19937_64 rng(1);
    auto s = cluster::sample(reg.member_views(resource(7)), peer(9), 4, rng);
    ASSERT_EQ(s.size(), 4u);
    EXPECT_TRUE(s[0].complete && s[1].complete && s[2].complete);
    EXPECT_FALSE(s[3].complete);
    auto two = cluster::sample(reg.member_views(resource(7)), peer(9), 2, rng);
    ASSERT_EQ(two.size(), 2u);
    EXPECT_TRUE(two[0].complete && two[1].complete);
    EXPECT_TRUE(cluster::sample(reg.member_views(resource(7)), peer(9), 0, rng).empty());
}

TEST_F(swarm_registry_test, a_sample_of_the_members_spreads_over_the_swarm) {
    for (unsigned p = 1; p <= 8; ++p) join(p, 7, true);
    std::set<peer_id> offered;
    std::mt19937_64 rng(42);
    for (int i = 0; i < 50; ++i)
        for (auto& m : cluster::sample(reg.member_views(resource(7)), peer(9), 1, rng)) offered.insert(m.peer);
    EXPECT_GT(offered.size(), 1u) << "a one-peer sample is not always the same peer";
}

TEST_F(swarm_registry_test, a_sample_of_the_members_of_an_unknown_swarm_is_empty) {
    std::mt19937_64 rng(1);
    EXPECT_TRUE(cluster::sample(reg.member_views(resource(7)), peer(1), 10, rng).empty());
    join(1, 7);
    EXPECT_TRUE(cluster::sample(reg.member_views(resource(7)), peer(1), 10, rng).empty()) << "the only member is the asker";
}

}  // namespace
}  // namespace peershare
