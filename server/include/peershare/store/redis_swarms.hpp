// Swarm membership and messages between instances through Redis, for several server instances on
// one Redis database (docs/architecture.md, "Several instances"): the swarm_directory of an instance
// run with --store redis:// (with SQLite, one instance, the directory is core's local_directory).
//
// It has three connections, each used by one thread of the server's:
//   - commands (the cluster thread): joins, leaves, lookups, relays, resyncs;
//   - heartbeat (its own thread): keeps this instance alive, removes the members of dead instances;
//   - subscriber (its own thread): receives the messages other instances publish for this one.
// Every call that needs Redis throws store_error when it cannot reach it, after the bounded waits
// and with the reconnection backoff of redis_limits (store/redis_store.hpp).
#pragma once

#include "peershare/core/cluster.hpp"
#include "peershare/core/errors.hpp"
#include "peershare/core/swarm_directory.hpp"
#include "peershare/store/redis_url.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace peershare {

class redis_swarms final : public swarm_directory {
public:
    // A new instance with a fresh random id. Connects lazily.
    redis_swarms(const redis_url& url, std::size_t max_swarm_size);
    ~redis_swarms() override;
    redis_swarms(const redis_swarms&) = delete;
    redis_swarms& operator=(const redis_swarms&) = delete;

    const std::string& instance() const noexcept;

    // ---- cluster thread: the swarm_directory ----

    bool spans_instances() const noexcept override { return true; }
    bool blocking() const noexcept override { return true; }

    // Records the membership and, when it is new or its flag changed, tells every other instance
    // with members in the swarm (peer_joined). A membership whose outcome is unknown (the call
    // threw) is removed again by the next resync unless it is held here by then.
    join_result join(const resource_id& resource, const peer_id& peer, bool complete) override;

    // Removes the membership and tells the other instances (peer_left). Never throws: one that
    // could not be removed is removed by the next resync.
    void leave(const resource_id& resource, const peer_id& peer) override;

    // The members of a swarm across every live instance.
    std::vector<member_view> members(const resource_id& resource) override;

    // Publishes a signal for a member on another instance: delivered, unknown_peer (no member of
    // the swarm, or its instance is dead), or not_listening (its instance is alive but its
    // subscriber is reconnecting).
    route relay(const cluster::signal_envelope& message) override;

    // Whether memberships must be rewritten: Redis lost this instance's key (restarted empty, or
    // this instance was away so long that others removed its members), or a write failed.
    bool needs_resync() const noexcept { return resync_needed_; }
    // Rewrites `local` (every membership held here) and retries failed removals. Throws when
    // Redis fails; needs_resync() stays true then.
    void resync(const std::vector<cluster::membership>& local);

    // ---- heartbeat thread ----

    // Refreshes this instance's key, then removes the members of dead instances. Throws when Redis
    // fails.
    void heartbeat();

    // At shutdown, once every membership here is gone: deletes this instance's key. Never throws.
    void retire();

    // ---- subscriber thread ----

    // Waits up to cluster::subscriber_wake for a message for this instance (subscribing first, after
    // a reconnection too). Throws when Redis fails; `resubscribed` is set when it (re)subscribed.
    std::optional<std::string> next_message(bool& resubscribed);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
    std::atomic<bool> resync_needed_{false};
};

}  // namespace peershare
