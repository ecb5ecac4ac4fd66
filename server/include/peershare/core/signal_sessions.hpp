// Open WebRTC negotiations between pairs of peers in one swarm, so the server relays an answer only
// for an offer it relayed, and candidates only while a negotiation is open. Each negotiation
// expires `signal_session_ttl` after its last message; each peer has at most `max_open_offers`
// unanswered offers. Time is passed in. Not thread-safe: the tracker owns it under its lock.
#pragma once

#include "peershare/core/errors.hpp"
#include "peershare/core/ids.hpp"
#include "peershare/core/limits.hpp"
#include "peershare/core/signal_message.hpp"

#include <chrono>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace peershare {

class signal_sessions {
public:
    using clock = std::chrono::steady_clock;

    explicit signal_sessions(const limits& lim) : limits_(lim) {}

    // Records a message from `from` to `to` about `resource`; errc::ok when it may be relayed.
    errc on_message(const peer_id& from, const peer_id& to, const resource_id& resource,
                    signaling::signal_kind kind, clock::time_point now);

    // Forgets every negotiation `peer` takes part in.
    void remove_peer(const peer_id& peer);

    // Forgets expired negotiations.
    void prune(clock::time_point now);

    std::size_t size() const noexcept { return sessions_.size(); }
    std::size_t open_offers(const peer_id& peer) const;

    // Checks, over every negotiation (PS_ASSERT; O(state), for tests): each peer's open-offer count
    // is the number of negotiations it offered and that are unanswered, and each negotiation is
    // indexed under both its peers.
    void check_invariants() const;

private:
    struct session {
        peer_id a, b;            // the two peers
        const peer_id* offerer;  // &a or &b while an offer is unanswered, else nullptr
        bool answered = false;
        clock::time_point expires;
    };
    static std::string key_of(const peer_id& x, const peer_id& y, const resource_id& r);
    void erase(std::unordered_map<std::string, session>::iterator it);
    void close_offer(session& s);
    void prune_peer(const peer_id& peer, clock::time_point now);

    const limits& limits_;
    std::unordered_map<std::string, session> sessions_;
    std::unordered_map<peer_id, std::unordered_set<std::string>> by_peer_;
    std::unordered_map<peer_id, std::size_t> open_offers_;
};

}  // namespace peershare
