// The Redis implementation of resource_store: share metadata shared by every server instance that
// uses the same Redis database.
//
// Client. Debian's hiredis (libhiredis-dev 0.14), through its blocking API, rather than a RESP client
// of our own: its reply parser is the one most Redis users run, so the only protocol code here is the
// choice of commands and the reading of their replies; its blocking context has a connect timeout and
// a reply timeout, which is what the store thread needs (hiredis applies the reply timeout to each
// read of the socket; Redis writes a reply at once, so it bounds the wait for the reply). A
// connection that failed in any way (I/O error, timeout, protocol error, a reply of an unexpected
// shape) is closed and never used again, so a late reply can never be read as the answer to a later
// command. The next call opens a new one, subject to the backoff of redis_limits
// (store/redis_store.hpp). An error reply (e.g. WRONGTYPE) fails only its call: the connection stays
// in step and is kept.
//
// Data. Every key starts with the fixed prefix "peershare:", so the database may hold other data:
//   peershare:share:<id>   hash {metadata: the canonical bytes, created: Unix seconds}
//   peershare:last_seen    sorted set, member <id>, score last_seen in Unix seconds (exact in a double)
// A share exists when it is in both. last_seen lives only in the sorted set, so stale() is one range
// query on it. Every operation that reads or writes both keys is one Lua script (EVAL), which Redis
// runs atomically: put-if-absent-else-raise, touch, get and remove_if_stale never see or leave half a
// share, even with several instances calling at once. A share found in only one of the two keys
// (possible only if something outside peershare deleted a key) is treated as absent and rewritten
// whole by the next put.
//
// Not covered: Redis Cluster (the scripts name keys in different hash slots), TLS, and passwords; the
// deployment keeps Redis on a private network. Redis must not evict keys (maxmemory-policy noeviction,
// its default) and should persist (appendonly yes) for shares to survive a Redis restart.
#include "peershare/store/redis_store.hpp"

#include <hiredis.h>
#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>
#include <sys/time.h>
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

timeval to_timeval(std::chrono::milliseconds ms) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
    return tv;
}

struct context_free {
    void operator()(redisContext* c) const { redisFree(c); }
};
struct reply_free {
    void operator()(redisReply* r) const { freeReplyObject(r); }
};
using context_ptr = std::unique_ptr<redisContext, context_free>;
using reply_ptr = std::unique_ptr<redisReply, reply_free>;

// hiredis writes with write(2), which raises SIGPIPE when Redis has closed the connection, and that
// signal's default action ends the process. While a command is sent, SIGPIPE is blocked on this
// thread, and one the command raised is taken off the queue before it is unblocked; the write then
// fails with EPIPE like any other I/O error. Nothing process-wide changes.
class sigpipe_blocked {
public:
    sigpipe_blocked() {
        sigemptyset(&pipe_);
        sigaddset(&pipe_, SIGPIPE);
        sigset_t pending;
        sigpending(&pending);
        was_pending_ = sigismember(&pending, SIGPIPE) == 1;
        pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
    }
    ~sigpipe_blocked() {
        if (!was_pending_) {
            sigset_t pending;
            sigpending(&pending);
            if (sigismember(&pending, SIGPIPE) == 1) {
                timespec zero{};
                sigtimedwait(&pipe_, nullptr, &zero);
            }
        }
        pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }
    sigpipe_blocked(const sigpipe_blocked&) = delete;
    sigpipe_blocked& operator=(const sigpipe_blocked&) = delete;

private:
    sigset_t pipe_{}, old_{};
    bool was_pending_ = false;
};

// Sends one command and reads its reply; nullptr when the connection failed (c.err says how), with
// `err` the errno of the failure.
reply_ptr send_command(redisContext& c, const std::vector<std::string_view>& args, int& err) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    for (auto a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    sigpipe_blocked guard;
    errno = 0;
    reply_ptr r(static_cast<redisReply*>(redisCommandArgv(&c, static_cast<int>(argv.size()), argv.data(), lens.data())));
    err = errno;
    return r;
}

std::string_view text_of(const redisReply& r) { return {r.str, r.len}; }

// An integer written by Redis as text: a sorted-set score or a hash field we stored.
std::optional<std::int64_t> parse_int(std::string_view s) {
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && end == s.data() + s.size()) return v;
    double d = 0;  // a score Redis prints in exponent form
    auto [dend, dec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (dec == std::errc() && dend == s.data() + s.size() && d == static_cast<double>(static_cast<std::int64_t>(d)))
        return static_cast<std::int64_t>(d);
    return std::nullopt;
}

class redis_store final : public resource_store {
public:
    explicit redis_store(redis_url url) : url_(std::move(url)), name_("redis at " + url_.str()) { connection(); }

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
    // The open connection, opening one if needed (subject to the backoff).
    redisContext& connection() {
        if (ctx_) return *ctx_;
        auto now = std::chrono::steady_clock::now();
        if (now < next_attempt_) {
            auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_attempt_ - now);
            throw store_error(name_ + ": " + last_error_ + " (next connection attempt in " + std::to_string(wait.count()) + " ms)");
        }
        try {
            ctx_ = open();
            backoff_ = redis_limits::min_reconnect_backoff;
            return *ctx_;
        } catch (const store_error& e) {
            last_error_ = e.what();
            next_attempt_ = std::chrono::steady_clock::now() + backoff_;
            backoff_ = std::min(backoff_ * 2, redis_limits::max_reconnect_backoff);
            throw store_error(name_ + ": " + last_error_);
        }
    }

    // A new connection with the reply timeout set and the database selected; throws store_error
    // with the reason alone (the caller names the server).
    context_ptr open() {
        context_ptr c(redisConnectWithTimeout(url_.host.c_str(), url_.port, to_timeval(redis_limits::connect_timeout)));
        if (!c) throw store_error("cannot allocate a connection");
        if (c->err) throw store_error(connect_failure(*c));
        if (redisSetTimeout(c.get(), to_timeval(redis_limits::reply_timeout)) != REDIS_OK)
            throw store_error(std::string("cannot set the reply timeout: ") + c->errstr);
        redisEnableKeepAlive(c.get());  // notices a peer that vanished without closing
        if (url_.db != 0) {
            auto db = std::to_string(url_.db);
            int err = 0;
            auto r = send_command(*c, {"SELECT", db}, err);
            if (!r) throw store_error("SELECT " + db + ": " + io_failure(*c, err));
            if (r->type == REDIS_REPLY_ERROR) throw store_error("SELECT " + db + ": " + std::string(text_of(*r)));
        }
        return c;
    }

    std::string connect_failure(const redisContext& c) const {
        std::string why = c.errstr;
        // hiredis says "Connection timed out" both for its own timeout and the system's.
        if (why.find("timed out") != std::string::npos)
            why = "no connection within " + std::to_string(redis_limits::connect_timeout.count()) + " ms";
        return "cannot connect: " + why;
    }

    static std::string io_failure(const redisContext& c, int err) {
        if (c.err == REDIS_ERR_IO && (err == EAGAIN || err == EWOULDBLOCK))
            return "no reply within " + std::to_string(redis_limits::reply_timeout.count()) + " ms";
        if (c.err == REDIS_ERR_EOF) return "the connection was closed";
        return c.errstr;
    }

    // Sends one command; an error reply throws store_error (the connection is kept), a failed
    // connection throws store_error and is closed.
    reply_ptr command(const char* what, std::initializer_list<std::string_view> args) {
        return command(what, std::vector<std::string_view>(args));
    }

    reply_ptr command(const char* what, const std::vector<std::string_view>& args) {
        redisContext& c = connection();
        int err = 0;
        auto r = send_command(c, args, err);
        if (!r) {
            std::string why = io_failure(c, err);
            ctx_.reset();  // never reused: a late reply must not answer the next command
            next_attempt_ = {};  // the first reconnection is tried at once
            throw store_error(name_ + ": " + what + " failed: " + why);
        }
        if (r->type == REDIS_REPLY_ERROR) throw store_error(name_ + ": " + what + " refused: " + std::string(text_of(*r)));
        return r;
    }

    reply_ptr eval(const char* what, const char* script, std::initializer_list<std::string> keys,
                   std::initializer_list<std::string_view> args) {
        auto nkeys = std::to_string(keys.size());
        std::vector<std::string_view> argv{"EVAL", script, nkeys};
        for (const auto& k : keys) argv.push_back(k);
        for (auto a : args) argv.push_back(a);
        return command(what, argv);
    }

    std::int64_t integer(const reply_ptr& r) {
        if (r->type != REDIS_REPLY_INTEGER) unexpected("a command");
        return r->integer;
    }

    // A reply of a shape no command here produces: the connection may be out of step, so it is closed.
    [[noreturn]] void unexpected(const char* what) {
        ctx_.reset();
        next_attempt_ = {};
        throw store_error(name_ + ": unexpected reply to " + what);
    }

    redis_url url_;
    std::string name_;  // "redis at redis://host:port/db", opening every message
    context_ptr ctx_;
    std::chrono::steady_clock::time_point next_attempt_{};
    std::chrono::milliseconds backoff_ = redis_limits::min_reconnect_backoff;
    std::string last_error_;
};

}  // namespace

std::unique_ptr<resource_store> make_redis_store(const redis_url& url) { return std::make_unique<redis_store>(url); }

}  // namespace peershare
