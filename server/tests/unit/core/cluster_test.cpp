// The pure part of several instances: member values, envelopes, live filtering, sampling.
#include "peershare/core/cluster.hpp"

#include <gtest/gtest.h>

namespace peershare::cluster {
namespace {

resource_id rid(char c) { return *resource_id::parse(std::string(64, c)); }
peer_id pid(char c) { return *peer_id::parse(std::string(32, c)); }

TEST(Cluster, InstanceIdsAreRandomHex) {
    auto a = new_instance_id(), b = new_instance_id();
    EXPECT_TRUE(is_lower_hex(a, 32));
    EXPECT_NE(a, b);
}

TEST(Cluster, MemberValuesRoundTripAndMalformedOnesAreRefused) {
    auto v = member_value("abc", true);
    EXPECT_EQ(v, "abc|1");
    auto parsed = parse_member_value(v);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->instance, "abc");
    EXPECT_TRUE(parsed->complete);
    EXPECT_FALSE(parse_member_value("abc|0")->complete);
    for (std::string_view bad : {"", "abc", "|1", "abc|", "abc|2", "abc|10"}) EXPECT_FALSE(parse_member_value(bad)) << bad;
}

TEST(Cluster, EnvelopesRoundTrip) {
    signal_envelope s{rid('a'), pid('b'), pid('c'), signaling::signal_kind::answer, "{\"type\":\"signal\"}\nwith a newline"};
    auto back = decode(encode(s));
    ASSERT_TRUE(back);
    auto* got = std::get_if<signal_envelope>(&*back);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->resource, s.resource);
    EXPECT_EQ(got->from, s.from);
    EXPECT_EQ(got->to, s.to);
    EXPECT_EQ(got->kind, s.kind);
    EXPECT_EQ(got->text, s.text);

    auto j = decode(encode(joined_envelope{rid('d'), pid('e'), true}));
    ASSERT_TRUE(j && std::holds_alternative<joined_envelope>(*j));
    EXPECT_TRUE(std::get<joined_envelope>(*j).complete);
    EXPECT_EQ(std::get<joined_envelope>(*j).peer, pid('e'));
}

TEST(Cluster, TheLeftEnvelopeIsTheOneTheCleanupScriptWrites) {
    auto l = decode("L " + rid('1').str() + " " + pid('2').str());
    ASSERT_TRUE(l && std::holds_alternative<left_envelope>(*l));
    EXPECT_EQ(std::get<left_envelope>(*l).resource, rid('1'));
    EXPECT_EQ(encode(std::get<left_envelope>(*l)), "L " + rid('1').str() + " " + pid('2').str());
}

TEST(Cluster, MalformedEnvelopesAreRefused) {
    auto r = rid('a').str(), p = pid('b').str();
    for (const std::string& bad : {std::string(), "X " + r + " " + p, "L " + r, "L " + r + " " + p + " extra",
                                   "L " + r + " nothex", "J " + r + " " + p + " 2", "J " + r + " " + p + " 1\ntext",
                                   "S " + r + " " + p + " " + p + " offer", "S " + r + " " + p + " " + p + " hello\n{}",
                                   "L " + std::string(64, 'A') + " " + p})
        EXPECT_FALSE(decode(bad)) << bad;
}

TEST(Cluster, LiveMembersDropDeadInstancesAndMalformedEntries) {
    std::vector<std::pair<std::string, std::string>> hash{
        {pid('1').str(), "alive|1"}, {pid('2').str(), "dead|1"}, {pid('3').str(), "alive|0"},
        {"not-a-peer", "alive|1"},   {pid('4').str(), "alive"},
    };
    auto live = live_members(hash, {"alive"});
    ASSERT_EQ(live.size(), 2u);
    EXPECT_EQ(live[0].peer, pid('1'));
    EXPECT_TRUE(live[0].complete);
    EXPECT_EQ(live[1].peer, pid('3'));
    EXPECT_FALSE(live[1].complete);
}

TEST(Cluster, SampleListsCompleteHoldersFirstWithoutTheAskerUpToMax) {
    std::mt19937_64 rng(7);
    std::vector<member_view> all{{pid('1'), false}, {pid('2'), true}, {pid('3'), false}, {pid('4'), true}, {pid('5'), true}};
    auto got = sample(all, pid('5'), 3, rng);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_TRUE(got[0].complete);
    EXPECT_TRUE(got[1].complete);
    EXPECT_FALSE(got[2].complete);
    for (const auto& m : got) EXPECT_NE(m.peer, pid('5'));
    EXPECT_EQ(sample(all, pid('9'), 50, rng).size(), 5u);
}

}  // namespace
}  // namespace peershare::cluster
