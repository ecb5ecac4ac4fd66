// Covers core/rate_limiter: the token bucket's burst, refill at the configured rate, cap, and the refusals-in-a-row count.
#include "peershare/core/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace peershare {
namespace {

using namespace std::chrono_literals;
using time_point = rate_limiter::clock::time_point;

const time_point t0{std::chrono::hours(1000)};

TEST(rate_limiter, allows_a_full_burst_then_refuses) {
    rate_limiter limiter(1, 3, t0);
    EXPECT_TRUE(limiter.try_acquire(t0));
    EXPECT_TRUE(limiter.try_acquire(t0));
    EXPECT_TRUE(limiter.try_acquire(t0));
    EXPECT_FALSE(limiter.try_acquire(t0));
    EXPECT_FALSE(limiter.try_acquire(t0));
}

TEST(rate_limiter, refills_at_the_configured_rate) {
    rate_limiter limiter(4, 1, t0);  // one token every 250 ms
    EXPECT_TRUE(limiter.try_acquire(t0));
    EXPECT_FALSE(limiter.try_acquire(t0 + 125ms));  // half a token
    EXPECT_TRUE(limiter.try_acquire(t0 + 250ms));   // the second half arrived
    EXPECT_FALSE(limiter.try_acquire(t0 + 250ms));
    EXPECT_TRUE(limiter.try_acquire(t0 + 500ms));
}

TEST(rate_limiter, steady_traffic_at_the_rate_is_never_refused) {
    rate_limiter limiter(4, 1, t0);  // intervals that are exact in binary, so no rounding is involved
    for (int i = 0; i < 1000; ++i) EXPECT_TRUE(limiter.try_acquire(t0 + i * 250ms)) << "message " << i;
}

TEST(rate_limiter, refill_is_capped_at_the_burst) {
    rate_limiter limiter(1, 2, t0);
    EXPECT_TRUE(limiter.try_acquire(t0));
    EXPECT_TRUE(limiter.try_acquire(t0));
    auto later = t0 + 1h;  // would be 3600 tokens without the cap
    EXPECT_TRUE(limiter.try_acquire(later));
    EXPECT_TRUE(limiter.try_acquire(later));
    EXPECT_FALSE(limiter.try_acquire(later));
}

TEST(rate_limiter, time_going_backwards_adds_no_tokens) {
    rate_limiter limiter(1, 1, t0);
    EXPECT_TRUE(limiter.try_acquire(t0));
    EXPECT_FALSE(limiter.try_acquire(t0 - 10s));
    EXPECT_FALSE(limiter.try_acquire(t0));
    EXPECT_TRUE(limiter.try_acquire(t0 + 1s));
}

TEST(rate_limiter, counts_refusals_in_a_row) {
    rate_limiter limiter(1, 1, t0);
    EXPECT_EQ(limiter.refusals_in_a_row(), 0u);
    EXPECT_TRUE(limiter.try_acquire(t0));
    EXPECT_EQ(limiter.refusals_in_a_row(), 0u);
    for (std::size_t n = 1; n <= 5; ++n) {
        EXPECT_FALSE(limiter.try_acquire(t0));
        EXPECT_EQ(limiter.refusals_in_a_row(), n);
    }
}

TEST(rate_limiter, accepted_message_resets_refusals_in_a_row) {
    rate_limiter limiter(1, 1, t0);
    EXPECT_TRUE(limiter.try_acquire(t0));
    EXPECT_FALSE(limiter.try_acquire(t0));
    EXPECT_FALSE(limiter.try_acquire(t0));
    EXPECT_EQ(limiter.refusals_in_a_row(), 2u);
    EXPECT_TRUE(limiter.try_acquire(t0 + 1s));
    EXPECT_EQ(limiter.refusals_in_a_row(), 0u);
    EXPECT_FALSE(limiter.try_acquire(t0 + 1s));
    EXPECT_EQ(limiter.refusals_in_a_row(), 1u);
}

TEST(rate_limiter, refused_attempts_do_not_consume_tokens) {
    rate_limiter limiter(4, 1, t0);
    EXPECT_TRUE(limiter.try_acquire(t0));
    for (int i = 0; i < 10; ++i) EXPECT_FALSE(limiter.try_acquire(t0 + 125ms));
    EXPECT_TRUE(limiter.try_acquire(t0 + 250ms));
}

}  // namespace
}  // namespace peershare
