// Covers core/signal_sessions: which offers, answers and candidates may be relayed, expiry, the open-offer limit, and cleanup.
#include "peershare/core/signal_sessions.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>

namespace peershare {
namespace {

using namespace std::chrono_literals;
using signaling::signal_kind;
using test::peer;
using test::resource;
using time_point = signal_sessions::clock::time_point;

const time_point t0{std::chrono::hours(1000)};

class signal_sessions_test : public ::testing::Test {
protected:
    signal_sessions_test() {
        lim.signal_session_ttl = 120s;
        lim.max_open_offers = 3;
    }
    errc send(unsigned from, unsigned to, signal_kind kind, time_point now = t0, unsigned r = 1) {
        return sessions.on_message(peer(from), peer(to), resource(r), kind, now);
    }

    limits lim;  // outlives sessions, which keeps a reference
    signal_sessions sessions{lim};
};

TEST_F(signal_sessions_test, answer_without_an_offer_is_no_offer) {
    EXPECT_EQ(send(2, 1, signal_kind::answer), errc::no_offer);
    EXPECT_EQ(sessions.size(), 0u);
}

TEST_F(signal_sessions_test, offer_then_answer_is_relayed) {
    EXPECT_EQ(send(1, 2, signal_kind::offer), errc::ok);
    EXPECT_EQ(sessions.open_offers(peer(1)), 1u);
    EXPECT_EQ(send(2, 1, signal_kind::answer), errc::ok);
    EXPECT_EQ(sessions.open_offers(peer(1)), 0u) << "an answered offer is no longer open";
    EXPECT_EQ(sessions.size(), 1u);
}

TEST_F(signal_sessions_test, answer_by_the_offering_side_is_no_offer) {
    EXPECT_EQ(send(1, 2, signal_kind::offer), errc::ok);
    EXPECT_EQ(send(1, 2, signal_kind::answer), errc::no_offer);
    EXPECT_EQ(sessions.open_offers(peer(1)), 1u);
    EXPECT_EQ(send(2, 1, signal_kind::answer), errc::ok) << "the refused answer did not close the offer";
}

TEST_F(signal_sessions_test, answer_from_a_third_peer_is_no_offer) {
    EXPECT_EQ(send(1, 2, signal_kind::offer), errc::ok);
    EXPECT_EQ(send(3, 1, signal_kind::answer), errc::no_offer);
}

TEST_F(signal_sessions_test, second_answer_is_no_offer) {
    EXPECT_EQ(send(1, 2, signal_kind::offer), errc::ok);
    EXPECT_EQ(send(2, 1, signal_kind::answer), errc::ok);
    EXPECT_EQ(send(2, 1, signal_kind::answer), errc::no_offer);
}

TEST_F(signal_sessions_test, answer_is_bound_to_the_resource_of_the_offer) {
    EXPECT_EQ(send(1, 2, signal_kind::offer, t0, 1), errc::ok);
    EXPECT_EQ(send(2, 1, signal_kind::answer, t0, 2), errc::no_offer);
}

TEST_F(signal_sessions_test, candidate_without_a_negotiation_is_no_offer) {
    EXPECT_EQ(send(1, 2, signal_kind::candidate), errc::no_offer);
    EXPECT_EQ(send(2, 1, signal_kind::candidate), errc::no_offer);
    EXPECT_EQ(sessions.size(), 0u);
}

TEST_F(signal_sessions_test, candidates_flow_both_ways_while_the_offer_is_open) {
    EXPECT_EQ(send(1, 2, signal_kind::offer), errc::ok);
    EXPECT_EQ(send(1, 2, signal_kind::candidate), errc::ok);
    EXPECT_EQ(send(2, 1, signal_kind::candidate), errc::ok);
}

TEST_F(signal_sessions_test, candidates_flow_both_ways_after_the_answer) {
    EXPECT_EQ(send(1, 2, signal_kind::offer), errc::ok);
    EXPECT_EQ(send(2, 1, signal_kind::answer), errc::ok);
    EXPECT_EQ(send(1, 2, signal_kind::candidate), errc::ok);
    EXPECT_EQ(send(2, 1, signal_kind::candidate), errc::ok);
}

TEST_F(signal_sessions_test, candidate_is_bound_to_the_pair_and_resource) {
    EXPECT_EQ(send(1, 2, signal_kind::offer, t0, 1), errc::ok);
    EXPECT_EQ(send(1, 3, signal_kind::candidate, t0, 1), errc::no_offer);
    EXPECT_EQ(send(3, 2, signal_kind::candidate, t0, 1), errc::no_offer);
    EXPECT_EQ(send(1, 2, signal_kind::candidate, t0, 2), errc::no_offer);
}

TEST_F(signal_sessions_test, negotiation_expires_ttl_after_its_last_message) {
    EXPECT_EQ(send(1, 2, signal_kind::offer, t0), errc::ok);
    EXPECT_EQ(send(2, 1, signal_kind::answer, t0 + 120s), errc::no_offer);
    EXPECT_EQ(send(1, 2, signal_kind::candidate, t0 + 120s), errc::no_offer);
}

TEST_F(signal_sessions_test, negotiation_is_open_until_just_before_the_ttl) {
    EXPECT_EQ(send(1, 2, signal_kind::offer, t0), errc::ok);
    EXPECT_EQ(send(2, 1, signal_kind::answer, t0 + 120s - 1ms), errc::ok);
}

TEST_F(signal_sessions_test, each_message_renews_the_negotiation) {
    EXPECT_EQ(send(1, 2, signal_kind::offer, t0), errc::ok);
    EXPECT_EQ(send(2, 1, signal_kind::answer, t0 + 100s), errc::ok);
    EXPECT_EQ(send(1, 2, signal_kind::candidate, t0 + 200s), errc::ok);
    EXPECT_EQ(send(2, 1, signal_kind::candidate, t0 + 300s), errc::ok);
    EXPECT_EQ(send(2, 1, signal_kind::candidate, t0 + 420s), errc::no_offer);
}

TEST_F(signal_sessions_test, expired_offer_frees_its_open_offer_slot) {
    EXPECT_EQ(send(1, 2, signal_kind::offer, t0), errc::ok);
    EXPECT_EQ(send(1, 2, signal_kind::candidate, t0 + 120s), errc::no_offer);
    EXPECT_EQ(sessions.open_offers(peer(1)), 0u);
    EXPECT_EQ(sessions.size(), 0u);
}

TEST_F(signal_sessions_test, expired_offers_do_not_count_against_the_limit_before_a_prune) {
    EXPECT_EQ(send(1, 2, signal_kind::offer, t0), errc::ok);
    EXPECT_EQ(send(1, 3, signal_kind::offer, t0), errc::ok);
    EXPECT_EQ(send(1, 4, signal_kind::offer, t0), errc::ok);
    EXPECT_EQ(send(1, 5, signal_kind::offer, t0 + 1h), errc::ok) << "the three offers expired at t0 + ttl";
    EXPECT_EQ(sessions.open_offers(peer(1)), 1u);
}

TEST_F(signal_sessions_test, offer_past_max_open_offers_is_too_many_offers) {
    EXPECT_EQ(send(1, 2, signal_kind::offer), errc::ok);
    EXPECT_EQ(send(1, 3, signal_kind::offer), errc::ok);
    EXPECT_EQ(send(1, 4, signal_kind::offer), errc::ok);
    EXPECT_EQ(sessions.open_offers(peer(1)), 3u);
    EXPECT_EQ(send(1, 5, signal_kind::offer), errc::too_many_offers);
    EXPECT_EQ(send(1, 5, signal_kind::candidate), errc::no_offer) << "the refused offer opened nothing";
    EXPECT_EQ(sessions.open_offers(peer(1)), 3u);
    EXPECT_EQ(send(6, 5, signal_kind::offer), errc::ok) << "the limit is per peer";
}

TEST_F(signal_sessions_test, offers_on_different_resources_count_separately) {
    EXPECT_EQ(send(1, 2, signal_kind::offer, t0, 1), errc::ok);
    EXPECT_EQ(send(1, 2, signal_kind::offer, t0, 2), errc::ok);
    EXPECT_EQ(send(1, 2, signal_kind::offer, t0, 3), errc::ok);
    EXPECT_EQ(send(1, 2, signal_kind::offer, t0, 4), errc::too_many_offers);
}

TEST_F(signal_sessions_test, answer_frees_an_open_offer_slot) {
    send(1, 2, signal_kind::offer);
    send(1, 3, signal_kind::offer);
    send(1, 4, signal_kind::offer);
    EXPECT_EQ(send(3, 1, signal_kind::answer), errc::ok);
    EXPECT_EQ(sessions.open_offers(peer(1)), 2u);
    EXPECT_EQ(send(1, 5, signal_kind::offer), errc::ok);
}

TEST_F(signal_sessions_test, renewing_an_open_offer_is_allowed_at_the_limit_and_counts_once) {
    send(1, 2, signal_kind::offer);
    send(1, 3, signal_kind::offer);
    send(1, 4, signal_kind::offer);
    EXPECT_EQ(send(1, 2, signal_kind::offer), errc::ok);
    EXPECT_EQ(sessions.open_offers(peer(1)), 3u);
}

TEST_F(signal_sessions_test, new_offer_on_an_answered_negotiation_reopens_it) {
    send(1, 2, signal_kind::offer);
    send(2, 1, signal_kind::answer);
    EXPECT_EQ(send(1, 2, signal_kind::offer), errc::ok);  // an ICE restart
    EXPECT_EQ(sessions.open_offers(peer(1)), 1u);
    EXPECT_EQ(send(2, 1, signal_kind::answer), errc::ok);
    EXPECT_EQ(sessions.size(), 1u);
}

TEST_F(signal_sessions_test, offer_in_the_other_direction_replaces_the_open_offer) {
    send(1, 2, signal_kind::offer);
    EXPECT_EQ(send(2, 1, signal_kind::offer), errc::ok);
    EXPECT_EQ(sessions.open_offers(peer(1)), 0u);
    EXPECT_EQ(sessions.open_offers(peer(2)), 1u);
    EXPECT_EQ(send(2, 1, signal_kind::answer), errc::no_offer) << "peer 1's offer was replaced";
    EXPECT_EQ(send(1, 2, signal_kind::answer), errc::ok);
}

TEST_F(signal_sessions_test, remove_peer_frees_every_negotiation_it_takes_part_in) {
    send(1, 2, signal_kind::offer);
    send(1, 3, signal_kind::offer);
    send(3, 1, signal_kind::answer);
    send(4, 1, signal_kind::offer);
    send(4, 2, signal_kind::offer);
    EXPECT_EQ(sessions.size(), 4u);
    sessions.remove_peer(peer(1));
    EXPECT_EQ(sessions.size(), 1u) << "only 4 -> 2 remains";
    EXPECT_EQ(sessions.open_offers(peer(1)), 0u);
    EXPECT_EQ(sessions.open_offers(peer(4)), 1u);
    EXPECT_EQ(send(2, 1, signal_kind::answer), errc::no_offer);
    EXPECT_EQ(send(3, 1, signal_kind::candidate), errc::no_offer);
    EXPECT_EQ(send(1, 4, signal_kind::answer), errc::no_offer);
    EXPECT_EQ(send(2, 4, signal_kind::answer), errc::ok);
}

TEST_F(signal_sessions_test, remove_peer_of_an_unknown_peer_does_nothing) {
    send(1, 2, signal_kind::offer);
    sessions.remove_peer(peer(9));
    EXPECT_EQ(sessions.size(), 1u);
    EXPECT_EQ(sessions.open_offers(peer(1)), 1u);
}

TEST_F(signal_sessions_test, prune_forgets_only_expired_negotiations) {
    send(1, 2, signal_kind::offer, t0);
    send(1, 3, signal_kind::offer, t0 + 60s);
    send(4, 5, signal_kind::offer, t0);
    send(5, 4, signal_kind::answer, t0 + 30s);
    sessions.prune(t0 + 120s);
    EXPECT_EQ(sessions.size(), 2u);
    EXPECT_EQ(sessions.open_offers(peer(1)), 1u);
    EXPECT_EQ(send(2, 1, signal_kind::answer, t0 + 120s), errc::no_offer);
    EXPECT_EQ(send(3, 1, signal_kind::answer, t0 + 120s), errc::ok);
    sessions.prune(t0 + 1h);
    EXPECT_EQ(sessions.size(), 0u);
    EXPECT_EQ(sessions.open_offers(peer(1)), 0u);
    EXPECT_EQ(sessions.open_offers(peer(4)), 0u);
}

}  // namespace
}  // namespace peershare
