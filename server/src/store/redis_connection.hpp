// One hiredis connection to the Redis of a redis_url, with the failure rules of redis_limits
// (include/peershare/store/redis_store.hpp): bounded connect and reply, a failed connection never
// reused, reconnection with backoff. Used by the Redis store and by the Redis swarm directory, each
// from one thread at a time. Every failure is thrown as store_error naming the server.
#pragma once

#include "peershare/store/redis_store.hpp"
#include "peershare/store/redis_url.hpp"
#include "peershare/store/resource_store.hpp"

#include <hiredis.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace peershare::redis {

struct context_free {
    void operator()(redisContext* c) const { redisFree(c); }
};
struct reply_free {
    void operator()(redisReply* r) const { freeReplyObject(r); }
};
using context_ptr = std::unique_ptr<redisContext, context_free>;
using reply_ptr = std::unique_ptr<redisReply, reply_free>;

inline std::string_view text_of(const redisReply& r) { return {r.str, r.len}; }

// An integer written by Redis as text: a sorted-set score or a hash field we stored.
std::optional<std::int64_t> parse_int(std::string_view s);

// The name Redis caches a script under: its SHA-1 in lowercase hex (EVALSHA, SCRIPT LOAD).
std::string script_sha1(std::string_view script);

class connection {
public:
    // `name` opens every error message ("redis at redis://host:port/db").
    connection(redis_url url, std::string name) : url_(std::move(url)), name_(std::move(name)) {}

    const std::string& name() const noexcept { return name_; }
    const redis_url& url() const noexcept { return url_; }

    // Opens the connection now if it is not open (subject to the backoff).
    void open_now() { context(); }

    // Sends one command; an error reply throws store_error (the connection is kept), a failed
    // connection throws store_error and is closed.
    reply_ptr command(const char* what, std::initializer_list<std::string_view> args) {
        return command(what, std::vector<std::string_view>(args));
    }
    reply_ptr command(const char* what, const std::vector<std::string_view>& args);

    // Runs `script` with these keys and arguments: EVALSHA by its SHA-1, so the script's text is sent
    // only when Redis does not have it cached (NOSCRIPT: a fresh or restarted Redis, SCRIPT FLUSH),
    // then as EVAL, which caches it again. `script` must outlive the connection (a static text).
    reply_ptr eval(const char* what, const char* script, const std::vector<std::string>& keys,
                   const std::vector<std::string_view>& args);

    std::int64_t integer(const reply_ptr& r, const char* what);

    // A reply of a shape no command here produces: the connection may be out of step, so it is closed.
    [[noreturn]] void unexpected(const char* what);

    // Subscriber mode. subscribe() sends SUBSCRIBE and reads its confirmation; read_message() waits
    // up to `wait` for the next pushed message and returns its payload (nullopt when none came).
    // A connection is either used for commands or subscribed, never both.
    void subscribe(const std::string& channel);
    std::optional<std::string> read_message(std::chrono::milliseconds wait);

    // Closes the connection (the next call reconnects at once).
    void reset() {
        ctx_.reset();
        next_attempt_ = {};
    }
    bool is_open() const noexcept { return static_cast<bool>(ctx_); }

private:
    redisContext& context();
    context_ptr open();
    std::string connect_failure(const redisContext& c) const;
    [[noreturn]] void failed(const char* what, int err);
    // Sends one command and reads its reply, which may be an error reply; I/O failures throw.
    reply_ptr exchange(const char* what, const std::vector<std::string_view>& args);
    // `r`, unless it is an error reply: then store_error with Redis's reason.
    reply_ptr accepted(const char* what, reply_ptr r) const;

    redis_url url_;
    std::string name_;
    // Script text -> script_sha1(text), keyed by address: every script is a static text, so a call
    // costs one lookup, not a copy and hash of the script.
    std::unordered_map<const char*, std::string> script_shas_;
    context_ptr ctx_;
    std::chrono::steady_clock::time_point next_attempt_{};
    std::chrono::milliseconds backoff_ = redis_limits::min_reconnect_backoff;
    std::string last_error_;
};

}  // namespace peershare::redis
