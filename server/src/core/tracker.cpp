// Tracker decisions: membership changes, pushes and relays.
#include "peershare/core/tracker.hpp"

#include "peershare/core/invariant.hpp"

namespace peershare {

using signaling::server_type;

tracker::tracker(const limits& lim) : limits_(lim), swarms_(limits_), sessions_(limits_) {}

peer_id tracker::connect() {
    auto id = peer_id::random();
    std::lock_guard lock(mutex_);
    swarms_.add_peer(id);
    ++peers_;
    return id;
}

void tracker::push_to_members(outbox& out, const resource_id& resource, const peer_id& except,
                              std::shared_ptr<const std::string> text, server_type type) const {
    for (auto& p : swarms_.members(resource, &except)) out.push_back({std::move(p), text, type});
}

tracker::disconnect_result tracker::disconnect(const peer_id& peer) {
    disconnect_result result;
    std::lock_guard lock(mutex_);
    if (!swarms_.has_peer(peer)) return result;
    auto removal = swarms_.remove_peer(peer);
    sessions_.remove_peer(peer);
    --peers_;
    for (const auto& r : removal.left) {
        auto text = std::make_shared<const std::string>(signaling::write_peer_left(r, peer));
        push_to_members(result.out, r, peer, text, server_type::peer_left);
    }
    result.left = std::move(removal.left);
    result.emptied = std::move(removal.emptied);
    return result;
}

bool tracker::is_active(const resource_id& resource) const {
    std::lock_guard lock(mutex_);
    return swarms_.is_active(resource);
}

bool tracker::is_member(const peer_id& peer, const resource_id& resource) const {
    std::lock_guard lock(mutex_);
    return swarms_.is_member(peer, resource);
}

std::vector<resource_id> tracker::active_resources() const {
    std::lock_guard lock(mutex_);
    return swarms_.active();
}

std::optional<swarm_info> tracker::active_info(const resource_id& resource) const {
    std::lock_guard lock(mutex_);
    if (const auto* info = swarms_.info(resource)) return *info;
    return std::nullopt;
}

errc tracker::admits(const peer_id& peer, const resource_id& resource) const {
    std::lock_guard lock(mutex_);
    return swarms_.admits(peer, resource);
}

tracker::announce_result tracker::announce(const peer_id& peer, const resource_id& resource, bool complete,
                                           const swarm_info& info) {
    announce_result result;
    std::lock_guard lock(mutex_);
    auto joined = swarms_.join(peer, resource, complete, info);
    result.error = joined.error;
    if (joined.error != errc::ok) return result;
    result.peers = joined.size;
    result.created = joined.created;
    if (joined.changed) {
        auto text = std::make_shared<const std::string>(signaling::write_peer_joined(resource, peer, complete));
        push_to_members(result.out, resource, peer, text, server_type::peer_joined);
    }
    return result;
}

std::vector<member_view> tracker::members(const resource_id& resource) const {
    std::lock_guard lock(mutex_);
    return swarms_.member_views(resource);
}

tracker::leave_result tracker::leave(const peer_id& peer, const resource_id& resource) {
    leave_result result;
    std::lock_guard lock(mutex_);
    auto left = swarms_.leave(peer, resource);
    if (!left.was_member) {
        result.error = errc::not_in_swarm;
        return result;
    }
    result.emptied = left.emptied;
    auto text = std::make_shared<const std::string>(signaling::write_peer_left(resource, peer));
    push_to_members(result.out, resource, peer, text, server_type::peer_left);
    return result;
}

tracker::relay_result tracker::relay(const peer_id& from, const signaling::signal& message, clock::time_point now,
                                     bool remote_allowed) {
    relay_result result;
    std::lock_guard lock(mutex_);
    if (!swarms_.is_member(from, message.resource)) {
        result.error = errc::not_in_swarm;
        return result;
    }
    bool local = swarms_.is_member(message.to, message.resource);
    if (message.to == from || (!local && !remote_allowed)) {
        result.error = errc::unknown_peer;
        return result;
    }
    result.error = sessions_.on_message(from, message.to, message.resource, message.kind, now);
    if (result.error != errc::ok) return result;
    auto text = signaling::write_signal(message.resource, from, message.kind, message.data_json);
    if (local)
        result.out.push_back({message.to, std::make_shared<const std::string>(std::move(text)), server_type::signal});
    else
        result.remote = cluster::signal_envelope{message.resource, from, message.to, message.kind, std::move(text)};
    return result;
}

outbox tracker::from_instance(const cluster::envelope& message, clock::time_point now) {
    outbox out;
    std::lock_guard lock(mutex_);
    if (const auto* s = std::get_if<cluster::signal_envelope>(&message)) {
        if (!swarms_.is_member(s->to, s->resource)) return out;
        if (sessions_.on_message(s->from, s->to, s->resource, s->kind, now) != errc::ok) return out;
        out.push_back({s->to, std::make_shared<const std::string>(s->text), server_type::signal});
    } else if (const auto* j = std::get_if<cluster::joined_envelope>(&message)) {
        auto text = std::make_shared<const std::string>(signaling::write_peer_joined(j->resource, j->peer, j->complete));
        push_to_members(out, j->resource, j->peer, text, server_type::peer_joined);
    } else {
        const auto& l = std::get<cluster::left_envelope>(message);
        auto text = std::make_shared<const std::string>(signaling::write_peer_left(l.resource, l.peer));
        push_to_members(out, l.resource, l.peer, text, server_type::peer_left);
    }
    return out;
}

std::vector<cluster::membership> tracker::memberships() const {
    std::lock_guard lock(mutex_);
    return swarms_.memberships();
}

void tracker::prune(clock::time_point now) {
    std::lock_guard lock(mutex_);
    sessions_.prune(now);
}

tracker::holder_counts tracker::holders(const resource_id& resource) const {
    std::lock_guard lock(mutex_);
    return {swarms_.size(resource), swarms_.complete_count(resource)};
}

tracker::counts tracker::stats() const {
    std::lock_guard lock(mutex_);
    return {peers_, swarms_.swarm_count(), swarms_.membership_count(), sessions_.size()};
}

void tracker::check_invariants() const {
    std::lock_guard lock(mutex_);
    swarms_.check_invariants();
    sessions_.check_invariants();
    PS_ASSERT(peers_ == swarms_.peer_count(), "the tracker counts the peers its registry holds");
}

}  // namespace peershare
