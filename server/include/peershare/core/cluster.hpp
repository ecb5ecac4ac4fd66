// The pure part of running several instances on one Redis (docs/architecture.md, "Several
// instances"): the timing constants, the instance id, how a swarm member's location is written, the
// envelope of a message sent from one instance to another over pub/sub, and which members a lookup
// may list. No I/O: the Redis side is store/redis_swarms.
#pragma once

#include "peershare/core/ids.hpp"
#include "peershare/core/signal_message.hpp"
#include "peershare/core/swarm_registry.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

namespace peershare::cluster {

// An instance is alive while its key exists; it rewrites the key with this expiry every
// presence_refresh. The members of a crashed instance are thus no longer listed by lookups at most
// presence_ttl after its last refresh, and are removed from their swarms (with peer_left pushes) by
// the next dead-instance scan of a survivor, at most presence_refresh later. Three refreshes per
// TTL let two in a row be late (a loaded host, a Redis failover) before a live instance is taken for
// dead; a shorter TTL would make that likelier, a longer one keeps a crashed instance's peers listed
// (and offered to downloaders) for longer.
inline constexpr std::chrono::seconds presence_ttl{15};
inline constexpr std::chrono::seconds presence_refresh{5};
// A survivor that removes a dead instance's members holds this lock (SET NX EX), so the others do
// not repeat the work; it expires by itself if the survivor dies on the way. Twice the TTL: a
// cleanup runs in batches of cleanup_batch memberships and takes far less.
inline constexpr std::chrono::seconds cleanup_lock_ttl{30};
// Memberships removed per cleanup script run: bounds how long one script blocks Redis.
inline constexpr std::size_t cleanup_batch = 200;
// How often the subscriber, waiting for messages, checks whether the server stops.
inline constexpr std::chrono::milliseconds subscriber_wake{500};

// One peer's place in one swarm.
struct membership {
    resource_id resource;
    peer_id peer;
    bool complete = false;
};

// A fresh random instance id (32 lowercase hex digits), chosen at each start.
std::string new_instance_id();

// Where a swarm member is, as stored in the swarm's hash: "<instance>|1" (complete) or "<instance>|0".
std::string member_value(std::string_view instance, bool complete);
struct member_location {
    std::string instance;
    bool complete = false;
};
std::optional<member_location> parse_member_value(std::string_view value);

// "<resource> <peer>": one entry of an instance's membership set.
std::string membership_entry(const resource_id& resource, const peer_id& peer);

// Messages between instances, each published on the channel of the instance that delivers it.
// A signal carries the frame its recipient gets, already written, plus what the receiving instance
// needs to record the negotiation. A joined or left notice is pushed by the receiving instance, as
// peer_joined or peer_left, to its own members of that swarm.
struct signal_envelope {
    resource_id resource;
    peer_id from;
    peer_id to;
    signaling::signal_kind kind;
    std::string text;
};
struct joined_envelope {
    resource_id resource;
    peer_id peer;
    bool complete = false;
};
struct left_envelope {
    resource_id resource;
    peer_id peer;
};
using envelope = std::variant<signal_envelope, joined_envelope, left_envelope>;

// Text forms: "S <resource> <from> <to> <kind>\n<text>", "J <resource> <peer> <0|1>",
// "L <resource> <peer>" (the cleanup script of store/redis_swarms.cpp writes the last one too).
std::string encode(const envelope& e);
std::optional<envelope> decode(std::string_view text);

// A swarm's members as the Redis hash lists them (peer id -> member_value), keeping only those whose
// instance is in `alive` and whose entry is well-formed.
std::vector<member_view> live_members(const std::vector<std::pair<std::string, std::string>>& hash,
                                      const std::unordered_set<std::string>& alive);

// Up to `max` of `members` other than `except`, complete holders first, chosen at random within
// each group so that load spreads over the swarm.
template <class Random>
std::vector<member_view> sample(std::vector<member_view> members, const peer_id& except, std::size_t max, Random& rng) {
    std::erase_if(members, [&](const member_view& m) { return m.peer == except; });
    auto partial = std::partition(members.begin(), members.end(), [](const member_view& m) { return m.complete; });
    std::shuffle(members.begin(), partial, rng);
    std::shuffle(partial, members.end(), rng);
    if (members.size() > max) members.erase(members.begin() + static_cast<std::ptrdiff_t>(max), members.end());
    return members;
}

}  // namespace peershare::cluster
