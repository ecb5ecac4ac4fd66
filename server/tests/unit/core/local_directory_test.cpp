// Covers core/local_directory, the directory of one instance: it spans nothing, never blocks, adds
// nothing to a join, lists the tracker's members and knows no peer elsewhere.
#include "peershare/core/swarm_directory.hpp"

#include "peershare/core/tracker.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

namespace peershare {
namespace {

using test::resource;

TEST(local_directory, lists_the_trackers_members_and_adds_nothing_else) {
    limits lim;
    tracker swarms(lim);
    local_directory dir(swarms);
    EXPECT_FALSE(dir.spans_instances());
    EXPECT_FALSE(dir.blocking()) << "calls run inline on the network thread";
    auto a = swarms.connect();
    auto joined = dir.join(resource(1), a, true);
    EXPECT_EQ(joined.error, errc::ok);
    EXPECT_EQ(joined.size, 0u) << "no members beyond this instance's";
    EXPECT_TRUE(dir.members(resource(1)).empty()) << "the tracker has not joined it yet";
    ASSERT_EQ(swarms.announce(a, resource(1), true, swarm_info{}).error, errc::ok);
    auto members = dir.members(resource(1));
    ASSERT_EQ(members.size(), 1u);
    EXPECT_EQ(members[0].peer, a);
    EXPECT_TRUE(members[0].complete);
    dir.leave(resource(1), a);
    EXPECT_TRUE(swarms.is_member(a, resource(1))) << "leaving is the tracker's business";
    EXPECT_EQ(dir.relay({resource(1), a, peer_id::random(), signaling::signal_kind::offer, "{}"}),
              swarm_directory::route::unknown_peer);
}

}  // namespace
}  // namespace peershare
