// Swarm membership and pub/sub between instances on one Redis.
//
// Data (every key starts with "peershare:", like the resource store's):
//   peershare:swarm:<rid>               hash   peer id -> "<instance>|1" (complete) or "<instance>|0"
//   peershare:instance:<iid>            string "1", expiring after cluster::presence_ttl: the instance lives
//   peershare:instance:<iid>:members    set    "<rid> <pid>": every membership the instance holds
//   peershare:instances                 set    every instance id that registered and is not cleaned up
//   peershare:cleanup:<iid>             string the lock of the survivor removing a dead instance's members
// Channels: peershare:inst:<iid>, one per instance, carrying cluster::envelope texts.
//
// Every operation that reads and writes several keys is one Lua script, run atomically by Redis, so
// a join, a leave, a dead instance's cleanup and this instance's resync never interleave halfway.
// The scripts publish their pushes themselves (PUBLISH inside a script), to the distinct instances
// found in the swarm's hash: one message per instance, whatever its number of members. Some scripts
// name keys they derive from values (an instance's key from a member's value), which Redis Cluster
// does not allow; like the resource store, this is for one Redis (with replicas), not Cluster.
#include "peershare/store/redis_swarms.hpp"

#include "redis_connection.hpp"

#include "peershare/core/log.hpp"
#include "peershare/store/redis_store.hpp"

#include <set>
#include <unordered_set>

namespace peershare {
namespace {

const std::string prefix = "peershare:";
const std::string swarm_prefix = prefix + "swarm:";
const std::string instance_prefix = prefix + "instance:";
const std::string channel_prefix = prefix + "inst:";
const std::string instances_key = prefix + "instances";

std::string swarm_key(const resource_id& r) { return swarm_prefix + r.str(); }
std::string instance_key(const std::string& iid) { return instance_prefix + iid; }
std::string members_key(const std::string& iid) { return instance_prefix + iid + ":members"; }

// A Lua function the scripts below start with: publishes `message` to every instance with a member
// in `swarm` other than `self`.
const std::string publish_others = R"lua(
local function publish_others(swarm, channel_prefix, self, message)
  local seen = {[self] = true}
  for _, v in ipairs(redis.call('HVALS', swarm)) do
    local i = string.match(v, '^([^|]+)|')
    if i and not seen[i] then
      seen[i] = true
      redis.call('PUBLISH', channel_prefix .. i, message)
    end
  end
end
)lua";

// KEYS swarm hash, own members set; ARGV peer, value, max size, entry, channel prefix, own id,
// joined envelope. Returns {1 joined | 0 full, size}.
const std::string join_script = publish_others + R"lua(
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return {0, redis.call('HLEN', KEYS[1])} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[4])
if old ~= ARGV[2] then publish_others(KEYS[1], ARGV[5], ARGV[6], ARGV[7]) end
return {1, redis.call('HLEN', KEYS[1])}
)lua";

// KEYS swarm hash, own members set; ARGV peer, own id, entry, channel prefix, left envelope.
// Removes the member only where this instance holds it. Returns 1 when removed.
const std::string leave_script = publish_others + R"lua(
redis.call('SREM', KEYS[2], ARGV[3])
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v or string.sub(v, 1, #ARGV[2] + 1) ~= ARGV[2] .. '|' then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
publish_others(KEYS[1], ARGV[4], ARGV[2], ARGV[5])
return 1
)lua";

// KEYS swarm hash; ARGV instance key prefix. Returns {the hash as a flat list, the live instances in it}.
constexpr const char* members_script = R"lua(
local all = redis.call('HGETALL', KEYS[1])
local alive, seen = {}, {}
for k = 2, #all, 2 do
  local i = string.match(all[k], '^([^|]+)|')
  if i and not seen[i] then
    seen[i] = true
    if redis.call('EXISTS', ARGV[1] .. i) == 1 then table.insert(alive, i) end
  end
end
return {all, alive}
)lua";

// KEYS swarm hash; ARGV recipient, instance key prefix, channel prefix, envelope. Returns -1 when
// the recipient is no member or its instance is dead, else the number of subscribers reached.
constexpr const char* relay_script = R"lua(
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return -1 end
local i = string.match(v, '^([^|]+)|')
if not i or redis.call('EXISTS', ARGV[2] .. i) == 0 then return -1 end
return redis.call('PUBLISH', ARGV[3] .. i, ARGV[4])
)lua";

// KEYS own instance key, instances set; ARGV own id, TTL seconds. Returns 1 when the key existed.
constexpr const char* heartbeat_script = R"lua(
local existed = redis.call('EXISTS', KEYS[1])
redis.call('SET', KEYS[1], '1', 'EX', tonumber(ARGV[2]))
redis.call('SADD', KEYS[2], ARGV[1])
return existed
)lua";

// KEYS instances set; ARGV instance key prefix. Returns the registered instances whose key is gone.
constexpr const char* dead_script = R"lua(
local dead = {}
for _, i in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. i) == 0 then table.insert(dead, i) end
end
return dead
)lua";

// KEYS dead instance's key, its members set, instances set; ARGV its id, batch, swarm key prefix,
// channel prefix. Removes up to `batch` of its memberships, telling the other instances of each swarm
// (the "L <rid> <pid>" envelope of core/cluster). Returns -1 when the instance is alive again, 0
// when it is cleaned up entirely, else how many it removed.
const std::string cleanup_script = publish_others + R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local entries = redis.call('SPOP', KEYS[2], tonumber(ARGV[2]))
for _, e in ipairs(entries) do
  local r, p = string.match(e, '^(%S+) (%S+)$')
  if r then
    local swarm = ARGV[3] .. r
    local v = redis.call('HGET', swarm, p)
    if v and string.sub(v, 1, #ARGV[1] + 1) == ARGV[1] .. '|' then
      redis.call('HDEL', swarm, p)
      publish_others(swarm, ARGV[4], ARGV[1], 'L ' .. r .. ' ' .. p)
    end
  end
end
if #entries < tonumber(ARGV[2]) then
  redis.call('SREM', KEYS[3], ARGV[1])
  return 0
end
return #entries
)lua";

// KEYS own instance key, own members set, instances set; ARGV own id. Deletes the key when no
// membership is left.
constexpr const char* retire_script = R"lua(
if redis.call('SCARD', KEYS[2]) > 0 then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[3], ARGV[1])
return 1
)lua";

using redis::text_of;

}  // namespace

struct redis_swarms::impl {
    impl(const redis_url& url, std::size_t max)
        : id(cluster::new_instance_id()),
          commands(url, "redis at " + url.str()),
          beat(url, "redis at " + url.str()),
          sub(url, "redis at " + url.str()),
          max_swarm_size(std::to_string(max)) {}

    std::string id;
    redis::connection commands, beat, sub;
    std::string max_swarm_size;
    // Memberships whose removal from Redis failed or whose join has an unknown outcome (cluster thread).
    std::set<std::pair<std::string, std::string>> unsure;
    bool registered = false;  // the heartbeat has written the key once (heartbeat thread)
};

redis_swarms::redis_swarms(const redis_url& url, std::size_t max_swarm_size)
    : impl_(std::make_unique<impl>(url, max_swarm_size)) {}

redis_swarms::~redis_swarms() = default;

const std::string& redis_swarms::instance() const noexcept { return impl_->id; }

redis_swarms::join_result redis_swarms::join(const resource_id& resource, const peer_id& peer, bool complete) {
    auto& d = *impl_;
    auto key = std::make_pair(resource.str(), peer.str());
    auto envelope = cluster::encode(cluster::joined_envelope{resource, peer, complete});
    auto value = cluster::member_value(d.id, complete);
    auto entry = cluster::membership_entry(resource, peer);
    redis::reply_ptr r;
    try {
        r = d.commands.eval("join", join_script.c_str(), {swarm_key(resource), members_key(d.id)},
                            {peer.str(), value, d.max_swarm_size, entry, channel_prefix, d.id, envelope});
    } catch (const store_error&) {
        d.unsure.insert(key);  // it may have been written: removed by the next resync unless held by then
        resync_needed_ = true;
        throw;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_INTEGER ||
        r->element[1]->type != REDIS_REPLY_INTEGER)
        d.commands.unexpected("join");
    d.unsure.erase(key);
    return {r->element[0]->integer == 1 ? errc::ok : errc::swarm_full, static_cast<std::size_t>(r->element[1]->integer)};
}

void redis_swarms::leave(const resource_id& resource, const peer_id& peer) {
    auto& d = *impl_;
    auto envelope = cluster::encode(cluster::left_envelope{resource, peer});
    try {
        d.commands.eval("leave", leave_script.c_str(), {swarm_key(resource), members_key(d.id)},
                        {peer.str(), d.id, cluster::membership_entry(resource, peer), channel_prefix, envelope});
        d.unsure.erase({resource.str(), peer.str()});
    } catch (const store_error& e) {
        PS_LOG(warn, "cluster: cannot remove peer " << peer.str().substr(0, 8) << " from swarm " << resource.str()
                                                    << " now (retried after reconnecting): " << e.what());
        d.unsure.insert({resource.str(), peer.str()});
        resync_needed_ = true;
    }
}

std::vector<member_view> redis_swarms::members(const resource_id& resource) {
    auto& d = *impl_;
    auto r = d.commands.eval("lookup", members_script, {swarm_key(resource)}, {instance_prefix});
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_ARRAY ||
        r->element[1]->type != REDIS_REPLY_ARRAY || r->element[0]->elements % 2 != 0)
        d.commands.unexpected("lookup");
    const auto& flat = *r->element[0];
    std::vector<std::pair<std::string, std::string>> hash;
    hash.reserve(flat.elements / 2);
    for (std::size_t i = 0; i + 1 < flat.elements; i += 2) {
        if (flat.element[i]->type != REDIS_REPLY_STRING || flat.element[i + 1]->type != REDIS_REPLY_STRING)
            d.commands.unexpected("lookup");
        hash.emplace_back(text_of(*flat.element[i]), text_of(*flat.element[i + 1]));
    }
    std::unordered_set<std::string> alive;
    for (std::size_t i = 0; i < r->element[1]->elements; ++i) {
        const auto& e = *r->element[1]->element[i];
        if (e.type != REDIS_REPLY_STRING) d.commands.unexpected("lookup");
        alive.emplace(text_of(e));
    }
    return cluster::live_members(hash, alive);
}

redis_swarms::route redis_swarms::relay(const cluster::signal_envelope& message) {
    auto& d = *impl_;
    auto text = cluster::encode(message);
    auto r = d.commands.eval("relay", relay_script, {swarm_key(message.resource)},
                             {message.to.str(), instance_prefix, channel_prefix, text});
    auto n = d.commands.integer(r, "relay");
    if (n < 0) return route::unknown_peer;
    return n == 0 ? route::not_listening : route::delivered;
}

void redis_swarms::resync(const std::vector<cluster::membership>& local) {
    auto& d = *impl_;
    resync_needed_ = false;  // set again by any failure below or meanwhile
    try {
        std::set<std::pair<std::string, std::string>> held;
        for (const auto& m : local) held.emplace(m.resource.str(), m.peer.str());
        auto unsure = d.unsure;
        for (const auto& [r, p] : unsure) {
            if (held.contains({r, p})) continue;
            auto rid = resource_id::parse(r);
            auto pid = peer_id::parse(p);
            if (rid && pid) leave(*rid, *pid);
            if (resync_needed_) throw store_error("cluster: resync interrupted");
        }
        std::size_t refused = 0;
        for (const auto& m : local)
            if (join(m.resource, m.peer, m.complete).error != errc::ok) ++refused;
        if (refused > 0)
            PS_LOG(warn, "cluster: " << refused << " membership(s) held here no longer fit their swarm in Redis");
        PS_LOG(info, "cluster: rewrote " << local.size() << " membership(s) of instance " << d.id << " into Redis");
    } catch (const store_error&) {
        resync_needed_ = true;
        throw;
    }
}

void redis_swarms::heartbeat() {
    auto& d = *impl_;
    auto ttl = std::to_string(cluster::presence_ttl.count());
    auto existed = d.beat.integer(
        d.beat.eval("heartbeat", heartbeat_script, {instance_key(d.id), instances_key}, {d.id, ttl}), "heartbeat");
    if (existed == 0 && d.registered) {
        PS_LOG(warn, "cluster: Redis had lost instance " << d.id << " (restarted, or this instance was away longer than "
                                                          << cluster::presence_ttl.count() << " s): rewriting its memberships");
        resync_needed_ = true;
    }
    d.registered = true;

    auto dead = d.beat.eval("dead instances", dead_script, {instances_key}, {instance_prefix});
    if (dead->type != REDIS_REPLY_ARRAY) d.beat.unexpected("dead instances");
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < dead->elements; ++i)
        if (dead->element[i]->type == REDIS_REPLY_STRING) ids.emplace_back(text_of(*dead->element[i]));
    auto lock_ttl = std::to_string(cluster::cleanup_lock_ttl.count());
    auto batch = std::to_string(cluster::cleanup_batch);
    for (const auto& iid : ids) {
        if (iid == d.id) continue;
        auto lock = d.beat.command("cleanup lock", {"SET", prefix + "cleanup:" + iid, d.id, "NX", "EX", lock_ttl});
        if (lock->type == REDIS_REPLY_NIL) continue;  // another survivor does it
        std::int64_t removed = 0, n = 0;
        do {
            n = d.beat.integer(d.beat.eval("cleanup", cleanup_script.c_str(),
                                           {instance_key(iid), members_key(iid), instances_key},
                                           {iid, batch, swarm_prefix, channel_prefix}),
                               "cleanup");
            if (n > 0) removed += n;
        } while (n > 0);
        d.beat.command("cleanup unlock", {"DEL", prefix + "cleanup:" + iid});
        if (n == 0) PS_LOG(info, "cluster: instance " << iid << " is dead; removed its members (" << removed << " batch entries)");
    }
}

void redis_swarms::retire() {
    auto& d = *impl_;
    try {
        d.beat.eval("retire", retire_script, {instance_key(d.id), members_key(d.id), instances_key}, {d.id});
    } catch (const store_error& e) {
        PS_LOG(debug, "cluster: cannot retire instance " << d.id << ": " << e.what());
    }
}

std::optional<std::string> redis_swarms::next_message(bool& resubscribed) {
    auto& d = *impl_;
    resubscribed = false;
    if (!d.sub.is_open()) {
        d.sub.subscribe(channel_prefix + d.id);
        resubscribed = true;
    }
    return d.sub.read_message(cluster::subscriber_wake);
}

}  // namespace peershare
