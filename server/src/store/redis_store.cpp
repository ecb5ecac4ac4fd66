// The Redis implementation of resource_store: share metadata shared by every server instance that
// uses the same Redis database.
//
// Connection handling (hiredis, timeouts, backoff): src/store/redis_connection.cpp.
//
// Data. Every key starts with the fixed prefix "peershare:", so the database may hold other data:
//   peershare:share:<id>   hash {metadata: the canonical bytes, created: Unix seconds}
//   peershare:last_seen    sorted set, member <id>, score last_seen in Unix seconds (exact in a double)
// A share exists when it is in both. last_seen lives only in the sorted set, so stale() is one range
// query on it. Every operation that reads or writes both keys is one Lua script (EVALSHA), which Redis
// runs atomically: put-if-absent-else-raise, touch, get and remove_if_stale never see or leave half a
// share, even with several instances calling at once. A share found in only one of the two keys
// (possible only if something outside peershare deleted a key) is treated as absent and rewritten
// whole by the next put.
//
// Not covered: Redis Cluster (the scripts name keys in different hash slots), TLS, and passwords; the
// deployment keeps Redis on a private network. Redis must not evict keys (maxmemory-policy noeviction,
// its default) and should persist (appendonly yes) for shares to survive a Redis restart.
#include "peershare/store/redis_store.hpp"

#include "redis_connection.hpp"

#include <string>
#include <vector>

namespace peershare {
namespace {

const std::string key_prefix = "peershare:";
const std::string last_seen_key = key_prefix + "last_seen";
constexpr std::size_t touch_all_batch = 1000;  // shares raised per script run: bounds how long Redis is blocked

// KEYS[1] share hash, KEYS[2] last_seen set; ARGV id, metadata, now. Returns 1 when inserted.
constexpr const char* put_script = R"lua(
local seen = redis.call('ZSCORE', KEYS[2], ARGV[1])
if seen and redis.call('EXISTS', KEYS[1]) == 1 then
  if tonumber(ARGV[3]) > tonumber(seen) then redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1]) end
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'metadata', ARGV[2], 'created', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
)lua";

// KEYS[1] share hash, KEYS[2] last_seen set; ARGV id. Returns {metadata, created, last_seen} or nil.
constexpr const char* get_script = R"lua(
local seen = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not seen then return false end
local fields = redis.call('HMGET', KEYS[1], 'metadata', 'created')
if not fields[1] or not fields[2] then return false end
return {fields[1], fields[2], seen}
)lua";

// KEYS[1] share hash, KEYS[2] last_seen set; ARGV id, now. Returns 1 when the share exists.
constexpr const char* touch_script = R"lua(
local seen = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not seen or redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if tonumber(ARGV[2]) > tonumber(seen) then redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1]) end
return 1
)lua";

// KEYS[1] last_seen set; ARGV now, batch. Raises up to `batch` shares seen before now; returns how many.
constexpr const char* touch_all_script = R"lua(
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], ARGV[1], id) end
return #ids
)lua";

// KEYS[1] share hash, KEYS[2] last_seen set; ARGV id, cutoff. Returns 1 when deleted.
constexpr const char* remove_if_stale_script = R"lua(
local seen = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not seen or tonumber(seen) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1])
return 1
)lua";

std::string share_key(const resource_id& id) { return key_prefix + "share:" + id.str(); }

using redis::parse_int;
using redis::text_of;

class redis_store final : public resource_store {
public:
    explicit redis_store(const redis_url& url) : conn_(url, "redis at " + url.str()) { conn_.open_now(); }

    bool put(const resource_id& id, std::string_view metadata, std::int64_t now) override {
        auto n = std::to_string(now);
        return integer(eval("put", put_script, {share_key(id), last_seen_key}, {id.str(), metadata, n})) == 1;
    }

    std::optional<resource_record> get(const resource_id& id) override {
        auto r = eval("get", get_script, {share_key(id), last_seen_key}, {id.str()});
        if (r->type == REDIS_REPLY_NIL) return std::nullopt;
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 3) unexpected("get");
        for (std::size_t i = 0; i < 3; ++i)
            if (r->element[i]->type != REDIS_REPLY_STRING) unexpected("get");
        auto created = parse_int(text_of(*r->element[1]));
        auto last_seen = parse_int(text_of(*r->element[2]));
        if (!created || !last_seen) unexpected("get");
        return resource_record{id, std::string(text_of(*r->element[0])), *created, *last_seen};
    }

    bool touch(const resource_id& id, std::int64_t now) override {
        auto n = std::to_string(now);
        return integer(eval("touch", touch_script, {share_key(id), last_seen_key}, {id.str(), n})) == 1;
    }

    void touch_all(std::int64_t now) override {
        auto n = std::to_string(now), batch = std::to_string(touch_all_batch);
        // Each batch raises shares out of the range it reads, so the loop ends.
        while (integer(eval("touch_all", touch_all_script, {last_seen_key}, {n, batch})) ==
               static_cast<std::int64_t>(touch_all_batch)) {
        }
    }

    std::vector<resource_id> stale(std::int64_t cutoff, std::size_t max) override {
        auto below = "(" + std::to_string(cutoff), limit = std::to_string(max);
        auto r = command("stale", {"ZRANGEBYSCORE", last_seen_key, "-inf", below, "LIMIT", "0", limit});
        if (r->type != REDIS_REPLY_ARRAY) unexpected("stale");
        std::vector<resource_id> out;
        out.reserve(r->elements);
        for (std::size_t i = 0; i < r->elements; ++i) {
            if (r->element[i]->type != REDIS_REPLY_STRING) unexpected("stale");
            // A member that is no id was not written by peershare: leave it alone.
            if (auto id = resource_id::parse(text_of(*r->element[i]))) out.push_back(std::move(*id));
        }
        return out;
    }

    bool remove_if_stale(const resource_id& id, std::int64_t cutoff) override {
        auto c = std::to_string(cutoff);
        return integer(eval("remove_if_stale", remove_if_stale_script, {share_key(id), last_seen_key}, {id.str(), c})) == 1;
    }

    std::int64_t count() override { return integer(command("count", {"ZCARD", last_seen_key})); }

    void check() override {
        auto r = command("check", {"PING"});
        if (r->type != REDIS_REPLY_STATUS || text_of(*r) != "PONG") unexpected("check");
    }

private:
    redis::reply_ptr command(const char* what, std::initializer_list<std::string_view> args) { return conn_.command(what, args); }
    redis::reply_ptr eval(const char* what, const char* script, const std::vector<std::string>& keys,
                          const std::vector<std::string_view>& args) {
        return conn_.eval(what, script, keys, args);
    }
    std::int64_t integer(const redis::reply_ptr& r) { return conn_.integer(r, "a command"); }
    [[noreturn]] void unexpected(const char* what) { conn_.unexpected(what); }

    redis::connection conn_;
};
}  // namespace

std::unique_ptr<resource_store> make_redis_store(const redis_url& url) { return std::make_unique<redis_store>(url); }

}  // namespace peershare
