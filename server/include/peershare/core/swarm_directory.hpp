// Where swarm membership is known beyond this instance's tracker: the interface the request flows
// ask (flows/) and its two implementations, local_directory (one instance: the tracker is the whole
// truth) and redis_swarms (several instances on one Redis, store/redis_swarms.hpp).
//
// Contract: the tracker stays authoritative for this instance's own connections; the directory
// records them where other instances can see them, lists members across instances, and carries
// signals to members elsewhere. Calls may block (Redis): the server makes them from one thread at a
// time, the directory's own when blocking() is true (net/service), inline otherwise. Every failure to
// reach the backing service throws store_error (store/resource_store.hpp), after bounded waits.
#pragma once

#include "peershare/core/cluster.hpp"
#include "peershare/core/errors.hpp"
#include "peershare/core/swarm_registry.hpp"

#include <cstddef>
#include <vector>

namespace peershare {

class swarm_directory {
public:
    virtual ~swarm_directory() = default;

    // Whether members of a swarm can live on other instances: a signal to a peer that is no member
    // here may then be for a member elsewhere (relay()).
    virtual bool spans_instances() const noexcept = 0;

    // Whether calls wait on I/O, and so must not run on a network thread.
    virtual bool blocking() const noexcept = 0;

    struct join_result {
        errc error = errc::ok;  // ok or swarm_full (the swarm's size across instances)
        std::size_t size = 0;   // members across instances after the join; 0: none beyond this instance's
    };
    // Records that `peer`, a connection of this instance, is in the swarm of `resource` (or changed
    // its `complete` flag), before the tracker does; tells the other instances with members in it.
    virtual join_result join(const resource_id& resource, const peer_id& peer, bool complete) = 0;

    // Removes a membership of this instance and tells the other instances. Never throws: one that
    // could not be removed is retried later by the implementation.
    virtual void leave(const resource_id& resource, const peer_id& peer) = 0;

    // Every member of the swarm, on this instance and (when it spans instances) on the others.
    virtual std::vector<member_view> members(const resource_id& resource) = 0;

    enum class route {
        delivered,      // sent to the recipient's instance, which was listening
        unknown_peer,   // no member of the swarm anywhere (or its instance is dead)
        not_listening,  // its instance is alive but cannot receive right now
    };
    // Carries a signal (already checked and recorded by the tracker) to a member on another instance.
    virtual route relay(const cluster::signal_envelope& message) = 0;
};

class tracker;

// One instance: the tracker knows every member. Nothing to record, nothing to carry; members are
// the tracker's.
class local_directory final : public swarm_directory {
public:
    explicit local_directory(const tracker& t) : tracker_(t) {}

    bool spans_instances() const noexcept override { return false; }
    bool blocking() const noexcept override { return false; }
    join_result join(const resource_id&, const peer_id&, bool) override { return {}; }
    void leave(const resource_id&, const peer_id&) override {}
    std::vector<member_view> members(const resource_id& resource) override;
    route relay(const cluster::signal_envelope&) override { return route::unknown_peer; }

private:
    const tracker& tracker_;
};

}  // namespace peershare
