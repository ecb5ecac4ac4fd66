// The vocabulary of the request flows (announce, lookup, signal, leave; docs/architecture.md, "A
// request's path"): the steps a flow asks its caller to carry out, the results the caller reports
// back, and the outcome a flow ends with. A flow never does I/O itself: the network layer carries
// out each step (a store call on the store thread, a directory call on the directory's thread or
// inline) and resumes the flow with what came of it, so every decision is unit-tested by feeding
// results in and looking at the steps that come out.
#pragma once

#include "peershare/core/cluster.hpp"
#include "peershare/core/errors.hpp"
#include "peershare/core/ids.hpp"
#include "peershare/core/log.hpp"
#include "peershare/core/metrics.hpp"
#include "peershare/core/signal_message.hpp"
#include "peershare/core/swarm_directory.hpp"
#include "peershare/core/tracker.hpp"
#include "peershare/store/resource_store.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace peershare::flows {

// ---- steps: what a flow asks for ----
//
// A step names what it is about by reference into the flow, which outlives it while the caller
// carries it out: no id is copied on the way (ids are strings, and this is the busiest path).

// store_share(): stores verified metadata; answered with put_done.
struct store_put {
    std::reference_wrapper<const resource_id> id;
    std::string_view metadata;
};
// load_share(): the stored record with its last_seen raised; answered with load_done.
struct store_load {
    std::reference_wrapper<const resource_id> id;
};
// resource_store::get(): the stored record; answered with load_done.
struct store_get {
    std::reference_wrapper<const resource_id> id;
};
// swarm_directory::join(); answered with join_done.
struct directory_join {
    std::reference_wrapper<const resource_id> resource;
    std::reference_wrapper<const peer_id> peer;
    bool complete = false;
};
// swarm_directory::members(); answered with members_done.
struct directory_members {
    std::reference_wrapper<const resource_id> id;
};
// swarm_directory::relay(); answered with relay_done.
struct directory_relay {
    std::reference_wrapper<const cluster::signal_envelope> envelope;
};

// A line for the server's log.
struct note {
    log::level level;
    std::string text;
};

// How a flow ended: what the connection replies and what the server records, in the order the
// session carries it out (reply, then deliveries, then the fire-and-forget updates).
struct outcome {
    std::string reply;  // the reply to the request; empty when it has none (a relayed signal)
    signaling::server_type reply_type = signaling::server_type::error;
    errc error = errc::ok;  // the error code of an `error` reply, or one counted without a reply
    outbox deliveries;      // messages for other connections (pushes, relayed signals)
    // Memberships of this connection to remove from the directory: its leaves, or the undo of a
    // join the tracker then refused.
    std::vector<resource_id> directory_leaves;
    // Swarms that lost their last member: the store records when (their grace period starts).
    std::vector<resource_id> emptied;
    bool share_added = false;  // the store holds one share more
    std::optional<metrics::cluster_relay> cluster_relayed;  // a signal routed through the directory
    std::vector<note> notes;
};

struct finish {
    outcome result;
};

using step = std::variant<store_put, store_load, store_get, directory_join, directory_members, directory_relay, finish>;

// ---- results: what the caller reports back ----

struct put_done {
    bool inserted = false;  // the share is new in the store
};
struct load_done {
    std::optional<resource_record> record;  // nullopt: the store does not know the share
};
struct join_done {
    swarm_directory::join_result joined;
};
struct members_done {
    std::vector<member_view> members;
};
struct relay_done {
    swarm_directory::route route;
};
// The store or the directory could not be reached (it threw store_error with this text).
struct unavailable {
    std::string why;
};

using result = std::variant<put_done, load_done, join_done, members_done, relay_done, unavailable>;

// ---- helpers the flows share ----

// An outcome that replies `code` (with `message`, or the code's own sentence) to request `id`.
outcome error_outcome(errc code, const signaling::request_id& id, std::string_view message = {});

// What the server keeps in memory about an active share, from its metadata bytes: the size, and
// the base64 text when it is small enough to send inline (limits::max_inline_metadata).
swarm_info info_of(std::string_view metadata, const limits& lim);

}  // namespace peershare::flows
