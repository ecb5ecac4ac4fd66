// Negotiation tracking for the signaling relay.
#include "peershare/core/signal_sessions.hpp"

#include "peershare/core/invariant.hpp"

namespace peershare {

std::string signal_sessions::key_of(const peer_id& x, const peer_id& y, const resource_id& r) {
    const auto& lo = x.str() < y.str() ? x : y;
    const auto& hi = x.str() < y.str() ? y : x;
    return r.str() + lo.str() + hi.str();
}

std::size_t signal_sessions::open_offers(const peer_id& peer) const {
    auto it = open_offers_.find(peer);
    return it == open_offers_.end() ? 0 : it->second;
}

void signal_sessions::close_offer(session& s) {
    if (!s.offerer) return;
    auto it = open_offers_.find(*s.offerer);
    PS_ASSERT(it != open_offers_.end() && it->second > 0, "an open offer is counted for its offerer");
    if (it != open_offers_.end() && --it->second == 0) open_offers_.erase(it);
    s.offerer = nullptr;
}

void signal_sessions::erase(std::unordered_map<std::string, session>::iterator it) {
    close_offer(it->second);
    for (const auto* p : {&it->second.a, &it->second.b}) {
        auto idx = by_peer_.find(*p);
        if (idx == by_peer_.end()) continue;
        idx->second.erase(it->first);
        if (idx->second.empty()) by_peer_.erase(idx);
    }
    sessions_.erase(it);
}

errc signal_sessions::on_message(const peer_id& from, const peer_id& to, const resource_id& resource,
                                 signaling::signal_kind kind, clock::time_point now) {
    std::string key = key_of(from, to, resource);
    auto it = sessions_.find(key);
    if (it != sessions_.end() && it->second.expires <= now) {
        erase(it);
        it = sessions_.end();
    }
    switch (kind) {
    case signaling::signal_kind::offer: {
        bool already_open_by_sender = it != sessions_.end() && it->second.offerer && *it->second.offerer == from;
        if (!already_open_by_sender && open_offers(from) >= limits_.max_open_offers) {
            // Expired offers are no longer open, even if the periodic prune has not run yet.
            prune_peer(from, now);
            if (open_offers(from) >= limits_.max_open_offers) return errc::too_many_offers;
        }
        if (it == sessions_.end()) {
            it = sessions_.emplace(key, session{from, to, nullptr, false, now}).first;
            by_peer_[from].insert(key);
            by_peer_[to].insert(key);
        }
        auto& s = it->second;
        if (!already_open_by_sender) {
            close_offer(s);
            s.offerer = s.a == from ? &s.a : &s.b;
            ++open_offers_[from];
        }
        s.answered = false;
        s.expires = now + limits_.signal_session_ttl;
        return errc::ok;
    }
    case signaling::signal_kind::answer: {
        if (it == sessions_.end() || !it->second.offerer || *it->second.offerer != to) return errc::no_offer;
        auto& s = it->second;
        close_offer(s);
        s.answered = true;
        s.expires = now + limits_.signal_session_ttl;
        return errc::ok;
    }
    case signaling::signal_kind::candidate: {
        if (it == sessions_.end()) return errc::no_offer;
        it->second.expires = now + limits_.signal_session_ttl;
        return errc::ok;
    }
    }
    return errc::internal;
}

void signal_sessions::remove_peer(const peer_id& peer) {
    auto idx = by_peer_.find(peer);
    if (idx == by_peer_.end()) return;
    std::vector<std::string> keys(idx->second.begin(), idx->second.end());
    for (const auto& k : keys)
        if (auto it = sessions_.find(k); it != sessions_.end()) erase(it);
}

void signal_sessions::prune_peer(const peer_id& peer, clock::time_point now) {
    auto idx = by_peer_.find(peer);
    if (idx == by_peer_.end()) return;
    std::vector<std::string> keys(idx->second.begin(), idx->second.end());
    for (const auto& k : keys)
        if (auto it = sessions_.find(k); it != sessions_.end() && it->second.expires <= now) erase(it);
}

void signal_sessions::prune(clock::time_point now) {
    for (auto it = sessions_.begin(); it != sessions_.end();) {
        auto next = std::next(it);
        if (it->second.expires <= now) erase(it);
        it = next;
    }
}

void signal_sessions::check_invariants() const {
    std::unordered_map<peer_id, std::size_t> offers;
    for (const auto& [key, s] : sessions_) {
        PS_ASSERT(!s.offerer || s.offerer == &s.a || s.offerer == &s.b, "the offerer is one of the two peers");
        if (s.offerer) ++offers[*s.offerer];
        for (const auto* p : {&s.a, &s.b}) {
            auto idx = by_peer_.find(*p);
            PS_ASSERT(idx != by_peer_.end() && idx->second.contains(key), "a negotiation is indexed under both peers");
        }
    }
    PS_ASSERT(offers == open_offers_, "open-offer counts match the unanswered offers");
    for (const auto& [peer, keys] : by_peer_) {
        PS_ASSERT(!keys.empty(), "an empty index entry is removed");
        for (const auto& k : keys) PS_ASSERT(sessions_.contains(k), "the index names only live negotiations");
    }
}

}  // namespace peershare
