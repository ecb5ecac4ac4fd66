// Covers flows/sweeper with the tests' memory store and made-up clocks: which shares are deleted
// and which kept, the refresh a shared store needs, batches, a share that gains a holder during a
// sweep, a failing store, and the sweep's interval.
#include "peershare/flows/sweeper.hpp"

#include "store/memory_store.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

namespace peershare {
namespace {

using namespace std::chrono_literals;
using flows::sweeper;
using test::resource;

const std::chrono::steady_clock::time_point s0{std::chrono::hours(1000)};
constexpr std::int64_t day = 24 * 3600;

class sweeper_test : public ::testing::Test {
protected:
    sweeper_test() : swarms(lim) {}
    void put(unsigned n, std::int64_t last_seen) { store.put(resource(n), test::metadata_bytes(n), last_seen); }
    void hold(unsigned n) {
        auto p = swarms.connect();
        ASSERT_EQ(swarms.announce(p, resource(n), true, swarm_info{}).error, errc::ok);
    }
    std::int64_t last_seen(unsigned n) { return store.get(resource(n)).value().last_seen; }

    limits lim;
    tracker swarms;
    test::memory_store store;
};

TEST_F(sweeper_test, a_share_no_swarm_holds_goes_once_a_whole_grace_period_has_passed) {
    sweeper sweep(24h, false);
    const std::int64_t now = 10 * day;
    put(1, now - day - 1);  // past the grace period
    put(2, now - day);      // exactly at it: kept this time
    put(3, now - 60);
    auto report = sweep.run(store, swarms, now, s0);
    EXPECT_EQ(report.deleted, 1u);
    EXPECT_FALSE(store.get(resource(1)));
    EXPECT_TRUE(store.get(resource(2)));
    EXPECT_TRUE(store.get(resource(3)));
    EXPECT_EQ(report.count, 2);
    EXPECT_FALSE(report.failed);
}

TEST_F(sweeper_test, a_stale_share_a_swarm_here_holds_is_kept_and_its_last_seen_raised) {
    sweeper sweep(24h, false);
    const std::int64_t now = 10 * day;
    put(1, now - 3 * day);
    hold(1);
    auto report = sweep.run(store, swarms, now, s0);
    EXPECT_EQ(report.deleted, 0u);
    EXPECT_EQ(report.kept, 1u);
    EXPECT_EQ(last_seen(1), now);
    EXPECT_FALSE(report.count) << "nothing deleted: the count is not read";
}

TEST_F(sweeper_test, with_a_shared_store_held_shares_are_raised_every_quarter_grace_period) {
    sweeper sweep(24h, true);
    std::int64_t now = 10 * day;
    put(1, now - 3600);  // not stale, but another instance's sweep must not find it stale later
    put(2, now - 3600);
    hold(1);
    EXPECT_EQ(sweep.run(store, swarms, now, s0).refreshed, 1u);
    EXPECT_EQ(last_seen(1), now);
    EXPECT_EQ(last_seen(2), now - 3600) << "only what is held here";
    EXPECT_EQ(sweep.run(store, swarms, now + 60, s0 + 1min).refreshed, 0u) << "not again before a quarter";
    EXPECT_EQ(last_seen(1), now);
    EXPECT_EQ(sweep.run(store, swarms, now + 6 * 3600, s0 + 6h).refreshed, 1u);
    EXPECT_EQ(last_seen(1), now + 6 * 3600);
}

TEST_F(sweeper_test, with_a_store_of_its_own_nothing_is_raised_for_others) {
    sweeper sweep(24h, false);
    const std::int64_t now = 10 * day;
    put(1, now - 3600);
    hold(1);
    EXPECT_EQ(sweep.run(store, swarms, now, s0).refreshed, 0u);
    EXPECT_EQ(last_seen(1), now - 3600);
}

TEST_F(sweeper_test, more_stale_shares_than_one_batch_all_go_in_one_sweep) {
    sweeper sweep(24h, false);
    const std::int64_t now = 10 * day;
    const unsigned n = sweeper::batch * 2 + 7;
    for (unsigned i = 1; i <= n; ++i) put(i, now - 2 * day);
    auto report = sweep.run(store, swarms, now, s0);
    EXPECT_EQ(report.deleted, n);
    EXPECT_EQ(report.count, 0);
}

TEST_F(sweeper_test, a_share_that_gains_a_holder_while_it_is_listed_survives) {
    sweeper sweep(24h, false);
    const std::int64_t now = 10 * day;
    put(1, now - 2 * day);
    // Between the listing and the delete, a holder elsewhere raises its last_seen.
    store.after_stale = [&] { store.touch(resource(1), now); };
    auto report = sweep.run(store, swarms, now, s0);
    EXPECT_EQ(report.deleted, 0u);
    EXPECT_TRUE(store.get(resource(1)));
}

TEST_F(sweeper_test, a_failing_store_is_reported_not_thrown_and_the_next_sweep_works) {
    sweeper sweep(24h, false);
    const std::int64_t now = 10 * day;
    put(1, now - 2 * day);
    store.failing = true;
    EXPECT_TRUE(sweep.run(store, swarms, now, s0).failed);
    store.failing = false;
    EXPECT_EQ(sweep.run(store, swarms, now, s0).deleted, 1u);
}

TEST_F(sweeper_test, the_interval_is_a_quarter_of_the_grace_period_within_bounds) {
    EXPECT_EQ(sweeper(2min, false).interval(), 30s);
    EXPECT_EQ(sweeper(24h, false).interval(), sweeper::max_interval);
    EXPECT_EQ(sweeper(200ms, false).interval(), sweeper::min_interval);
}

}  // namespace
}  // namespace peershare
