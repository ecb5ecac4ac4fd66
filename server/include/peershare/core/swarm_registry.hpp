// Swarm membership: which connected peers are in which share's swarm, and whether each holds the
// whole share. It tracks, per swarm, its members and what the server serves from memory about the
// share; per peer, the swarms it is in. Not thread-safe: the tracker owns it under its lock.
// Invariant: a peer is in a swarm's member map exactly when the swarm is in the peer's set, and a
// swarm exists exactly when it has at least one member.
#pragma once

#include "peershare/core/errors.hpp"
#include "peershare/core/ids.hpp"
#include "peershare/core/limits.hpp"

#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace peershare {

// What the server keeps in memory about an active share.
struct swarm_info {
    std::size_t metadata_size = 0;
    // The metadata, base64, when it is small enough to send inline (limits::max_inline_metadata).
    std::shared_ptr<const std::string> metadata_base64;
};

struct member_view {
    peer_id peer;
    bool complete = false;
};

namespace cluster {
struct membership;
}

class swarm_registry {
public:
    explicit swarm_registry(const limits& lim) : limits_(lim) {}

    void add_peer(const peer_id& peer);

    struct join_result {
        errc error = errc::ok;
        bool created = false;  // the swarm did not exist before
        bool changed = false;  // the peer is new in the swarm, or its `complete` flag changed
        std::size_t size = 0;  // members after the join
    };
    // Adds `peer` to the swarm of `resource` (creating it with `info`), or updates its flag.
    // Refused with the error admits() gives.
    join_result join(const peer_id& peer, const resource_id& resource, bool complete, const swarm_info& info);

    // What join() would answer about the limits, without changing anything: ok for a member (a
    // re-announce), too_many_swarms past limits::max_swarms for the peer, swarm_full when the swarm
    // has limits::max_swarm_size members. Lets a caller refuse before doing costly work (storing).
    errc admits(const peer_id& peer, const resource_id& resource) const;

    struct leave_result {
        bool was_member = false;
        bool emptied = false;  // the swarm had no member left and was removed
    };
    leave_result leave(const peer_id& peer, const resource_id& resource);

    // Removes a peer from every swarm; returns the swarms it was in and which of them emptied.
    struct removal {
        std::vector<resource_id> left;
        std::vector<resource_id> emptied;
    };
    removal remove_peer(const peer_id& peer);

    bool has_peer(const peer_id& peer) const { return peers_.contains(peer); }
    bool is_member(const peer_id& peer, const resource_id& resource) const;
    bool is_active(const resource_id& resource) const { return swarms_.contains(resource); }
    std::vector<resource_id> active() const;  // every share with a swarm, in no particular order
    const swarm_info* info(const resource_id& resource) const;
    std::size_t size(const resource_id& resource) const;
    std::size_t complete_count(const resource_id& resource) const;

    // Every member except `except`.
    std::vector<peer_id> members(const resource_id& resource, const peer_id* except = nullptr) const;

    // Every member with its `complete` flag, in no particular order.
    std::vector<member_view> member_views(const resource_id& resource) const;

    // Every (swarm, member, complete) here.
    std::vector<cluster::membership> memberships() const;

    std::size_t swarm_count() const noexcept { return swarms_.size(); }
    std::size_t peer_count() const noexcept { return peers_.size(); }
    std::size_t membership_count() const noexcept { return memberships_; }
    std::size_t swarms_of(const peer_id& peer) const;

    // Checks the invariants above over every swarm and peer (PS_ASSERT): O(memberships), for tests.
    void check_invariants() const;

private:
    struct swarm {
        swarm_info info;
        std::unordered_map<peer_id, bool> members;  // peer -> complete
        std::size_t complete = 0;
    };
    const limits& limits_;
    std::unordered_map<resource_id, swarm> swarms_;
    std::unordered_map<peer_id, std::unordered_set<resource_id>> peers_;
    std::size_t memberships_ = 0;
};

}  // namespace peershare
