// Covers core/invariant: test builds check invariants, and a broken one stops the process with
// where and what.
#include "peershare/core/invariant.hpp"

#include <gtest/gtest.h>

namespace peershare {
namespace {

#ifdef PEERSHARE_INVARIANTS
TEST(invariant, a_broken_invariant_aborts_naming_the_condition_and_the_reason) {
    int members = 0;
    EXPECT_DEATH(PS_ASSERT(members > 0, "a swarm has a member"),
                 "invariant broken at .*invariant_test.cpp:[0-9]+: a swarm has a member \\(members > 0\\)");
}

TEST(invariant, a_kept_invariant_does_nothing) { PS_ASSERT(1 + 1 == 2, "arithmetic"); }
#else
TEST(invariant, test_builds_check_invariants) {
    FAIL() << "this test build was configured without PEERSHARE_INVARIANTS: scripts/build.sh --tests turns them on";
}
#endif

}  // namespace
}  // namespace peershare
