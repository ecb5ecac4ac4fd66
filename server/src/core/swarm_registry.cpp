// Swarm membership bookkeeping.
#include "peershare/core/swarm_registry.hpp"

#include "peershare/core/cluster.hpp"

#include "peershare/core/invariant.hpp"

#include <algorithm>

namespace peershare {

void swarm_registry::add_peer(const peer_id& peer) { peers_.try_emplace(peer); }

errc swarm_registry::admits(const peer_id& peer, const resource_id& resource) const {
    auto peer_it = peers_.find(peer);
    if (peer_it == peers_.end()) return errc::internal;
    auto swarm_it = swarms_.find(resource);
    if (swarm_it != swarms_.end() && swarm_it->second.members.contains(peer)) return errc::ok;
    if (peer_it->second.size() >= limits_.max_swarms) return errc::too_many_swarms;
    if (swarm_it != swarms_.end() && swarm_it->second.members.size() >= limits_.max_swarm_size) return errc::swarm_full;
    return errc::ok;
}

swarm_registry::join_result swarm_registry::join(const peer_id& peer, const resource_id& resource, bool complete,
                                                 const swarm_info& info) {
    PS_ASSERT(peers_.contains(peer), "join by a peer that was never added");
    if (auto refused = admits(peer, resource); refused != errc::ok) return {refused};

    auto [swarm_it, created] = swarms_.try_emplace(resource, swarm{info, {}, 0});
    auto& s = swarm_it->second;
    if (auto m = s.members.find(peer); m != s.members.end()) {
        bool changed = m->second != complete;
        if (changed) {
            PS_ASSERT(complete || s.complete > 0, "a complete member is counted");
            s.complete += complete ? 1 : std::size_t(-1);
            m->second = complete;
        }
        PS_ASSERT(s.complete <= s.members.size(), "no more complete members than members");
        return {errc::ok, false, changed, s.members.size()};
    }
    s.members.emplace(peer, complete);
    if (complete) ++s.complete;
    bool listed = peers_.find(peer)->second.insert(resource).second;
    PS_ASSERT(listed, "a new member of a swarm was not yet in it by the peer's list");
    ++memberships_;
    PS_ASSERT(s.complete <= s.members.size(), "no more complete members than members");
    return {errc::ok, created, true, s.members.size()};
}

swarm_registry::leave_result swarm_registry::leave(const peer_id& peer, const resource_id& resource) {
    auto swarm_it = swarms_.find(resource);
    if (swarm_it == swarms_.end()) return {};
    auto& s = swarm_it->second;
    auto m = s.members.find(peer);
    if (m == s.members.end()) return {};
    if (m->second) {
        PS_ASSERT(s.complete > 0, "a complete member is counted");
        --s.complete;
    }
    s.members.erase(m);
    PS_ASSERT(memberships_ > 0, "every membership is counted");
    --memberships_;
    auto p = peers_.find(peer);
    PS_ASSERT(p != peers_.end() && p->second.contains(resource), "a member's swarms list the swarm");
    if (p != peers_.end()) p->second.erase(resource);
    bool emptied = s.members.empty();
    if (emptied) swarms_.erase(swarm_it);
    return {true, emptied};
}

swarm_registry::removal swarm_registry::remove_peer(const peer_id& peer) {
    removal out;
    auto p = peers_.find(peer);
    if (p == peers_.end()) return out;
    std::vector<resource_id> joined(p->second.begin(), p->second.end());
    for (auto& r : joined) {
        auto res = leave(peer, r);
        if (res.emptied) out.emptied.push_back(r);
        out.left.push_back(std::move(r));
    }
    PS_ASSERT(p->second.empty(), "a removed peer is in no swarm");
    peers_.erase(p);
    return out;
}

bool swarm_registry::is_member(const peer_id& peer, const resource_id& resource) const {
    auto it = swarms_.find(resource);
    return it != swarms_.end() && it->second.members.contains(peer);
}

const swarm_info* swarm_registry::info(const resource_id& resource) const {
    auto it = swarms_.find(resource);
    return it == swarms_.end() ? nullptr : &it->second.info;
}

std::size_t swarm_registry::size(const resource_id& resource) const {
    auto it = swarms_.find(resource);
    return it == swarms_.end() ? 0 : it->second.members.size();
}

std::size_t swarm_registry::complete_count(const resource_id& resource) const {
    auto it = swarms_.find(resource);
    return it == swarms_.end() ? 0 : it->second.complete;
}

std::size_t swarm_registry::swarms_of(const peer_id& peer) const {
    auto it = peers_.find(peer);
    return it == peers_.end() ? 0 : it->second.size();
}

std::vector<peer_id> swarm_registry::members(const resource_id& resource, const peer_id* except) const {
    std::vector<peer_id> out;
    auto it = swarms_.find(resource);
    if (it == swarms_.end()) return out;
    out.reserve(it->second.members.size());
    for (const auto& [p, complete] : it->second.members)
        if (!except || p != *except) out.push_back(p);
    return out;
}

std::vector<member_view> swarm_registry::member_views(const resource_id& resource) const {
    auto it = swarms_.find(resource);
    if (it == swarms_.end()) return {};
    std::vector<member_view> all;
    all.reserve(it->second.members.size());
    for (const auto& [p, complete] : it->second.members) all.push_back({p, complete});
    return all;
}

std::vector<cluster::membership> swarm_registry::memberships() const {
    std::vector<cluster::membership> out;
    out.reserve(memberships_);
    for (const auto& [id, s] : swarms_)
        for (const auto& [p, complete] : s.members) out.push_back({id, p, complete});
    return out;
}

std::vector<resource_id> swarm_registry::active() const {
    std::vector<resource_id> out;
    out.reserve(swarms_.size());
    for (const auto& [id, s] : swarms_) out.push_back(id);
    return out;
}

void swarm_registry::check_invariants() const {
    std::size_t memberships = 0;
    for (const auto& [id, s] : swarms_) {
        PS_ASSERT(!s.members.empty(), "a swarm exists only while it has a member");
        std::size_t complete = 0;
        for (const auto& [p, is_complete] : s.members) {
            auto peer = peers_.find(p);
            PS_ASSERT(peer != peers_.end() && peer->second.contains(id), "a member's swarms list the swarm");
            complete += is_complete ? 1 : 0;
        }
        PS_ASSERT(complete == s.complete, "the complete count matches the members' flags");
        memberships += s.members.size();
    }
    PS_ASSERT(memberships == memberships_, "the membership count matches the swarms");
    std::size_t listed = 0;
    for (const auto& [p, joined] : peers_) {
        for (const auto& id : joined) PS_ASSERT(is_member(p, id), "a swarm a peer lists has it as a member");
        listed += joined.size();
    }
    PS_ASSERT(listed == memberships_, "the peers' lists count every membership once");
}

}  // namespace peershare
