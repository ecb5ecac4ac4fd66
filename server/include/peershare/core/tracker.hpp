// The tracker and signaling relay, sans-io: it decides, for each client action, the reply and the
// messages other peers must receive, and leaves delivery to the network layer. It owns swarm
// membership and open negotiations behind one lock, so any network thread may call it.
// It never touches the store: the caller loads or saves metadata before calling announce.
#pragma once

#include "peershare/core/cluster.hpp"
#include "peershare/core/errors.hpp"
#include "peershare/core/ids.hpp"
#include "peershare/core/limits.hpp"
#include "peershare/core/signal_message.hpp"
#include "peershare/core/signal_sessions.hpp"
#include "peershare/core/swarm_registry.hpp"

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace peershare {

// One message for one peer. The text is shared between the recipients of a broadcast.
struct outbound {
    peer_id to;
    std::shared_ptr<const std::string> text;
    signaling::server_type type;
};
using outbox = std::vector<outbound>;

class tracker {
public:
    using clock = std::chrono::steady_clock;

    explicit tracker(const limits& lim);

    // Registers a new connection under a fresh random peer id.
    peer_id connect();

    struct disconnect_result {
        outbox out;                       // peer_left pushes
        std::vector<resource_id> left;    // every swarm the peer was in
        std::vector<resource_id> emptied; // swarms that lost their last member
    };
    disconnect_result disconnect(const peer_id& peer);

    bool is_active(const resource_id& resource) const;
    bool is_member(const peer_id& peer, const resource_id& resource) const;
    std::vector<resource_id> active_resources() const;  // every share with a swarm here
    std::optional<swarm_info> active_info(const resource_id& resource) const;

    struct announce_result {
        errc error = errc::ok;
        std::size_t peers = 0;  // swarm size after the announce
        bool created = false;
        outbox out;             // peer_joined pushes
    };
    // Whether announce() would let `peer` into the swarm as the swarms are now (errc::ok, or the
    // limit it breaks), so a refused announce is answered before its metadata is stored. announce()
    // checks again: the answer may change in between.
    errc admits(const peer_id& peer, const resource_id& resource) const;

    // `info` describes the share when the swarm has to be created.
    announce_result announce(const peer_id& peer, const resource_id& resource, bool complete, const swarm_info& info);

    // Every member of the swarm (empty when there is none here).
    std::vector<member_view> members(const resource_id& resource) const;

    struct leave_result {
        errc error = errc::ok;
        bool emptied = false;
        outbox out;
    };
    leave_result leave(const peer_id& peer, const resource_id& resource);

    struct relay_result {
        errc error = errc::ok;
        outbox out;
        // With `remote_allowed`, a recipient that is no member here: the negotiation is recorded
        // and this is the signal for the caller to route to the recipient's instance.
        std::optional<cluster::signal_envelope> remote;
    };
    // Relays a signal to a member of the sender's swarm. Without `remote_allowed` (one instance),
    // a recipient must be a member here; with it (several instances), one that is not is left to
    // the caller, which finds out whether it is a member elsewhere.
    relay_result relay(const peer_id& from, const signaling::signal& message, clock::time_point now,
                       bool remote_allowed = false);

    // A message another instance sent here: a signal for a member here (recorded as a negotiation
    // like a local one, dropped when the recipient is gone or the negotiation refuses it), or a
    // peer that joined or left a swarm elsewhere (pushed to the members here).
    outbox from_instance(const cluster::envelope& message, clock::time_point now);

    // Every membership here, for rewriting them into a shared store.
    std::vector<cluster::membership> memberships() const;

    void prune(clock::time_point now);

    struct holder_counts {
        std::size_t holders = 0;
        std::size_t complete = 0;
    };
    holder_counts holders(const resource_id& resource) const;

    struct counts {
        std::size_t peers = 0;
        std::size_t swarms = 0;
        std::size_t memberships = 0;
        std::size_t negotiations = 0;
    };
    counts stats() const;

    // Checks the registry's and the negotiations' invariants (PS_ASSERT) over everything held:
    // O(state), for tests.
    void check_invariants() const;

private:
    void push_to_members(outbox& out, const resource_id& resource, const peer_id& except,
                         std::shared_ptr<const std::string> text, signaling::server_type type) const;

    const limits limits_;
    mutable std::mutex mutex_;
    swarm_registry swarms_;
    signal_sessions sessions_;
    std::size_t peers_ = 0;
};

}  // namespace peershare
