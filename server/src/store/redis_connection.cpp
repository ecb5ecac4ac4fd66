// The hiredis connection shared by the Redis store and the Redis swarm directory.
//
// Client. Debian's hiredis (libhiredis-dev 0.14), through its blocking API, rather than a RESP client
// of our own: its reply parser is the one most Redis users run, so the only protocol code here is the
// choice of commands and the reading of their replies; its blocking context has a connect timeout and
// a reply timeout (hiredis applies the reply timeout to each read of the socket; Redis writes a reply
// at once, so it bounds the wait for the reply). A connection that failed in any way (I/O error,
// timeout, protocol error, a reply of an unexpected shape) is closed and never used again, so a late
// reply can never be read as the answer to a later command. The next call opens a new one, subject
// to the backoff of redis_limits (store/redis_store.hpp). An error reply (e.g. WRONGTYPE) fails only
// its call: the connection stays in step and is kept.
#include "redis_connection.hpp"

#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <charconv>
#include <stdexcept>
#include <sys/time.h>

namespace peershare::redis {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
    return tv;
}

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

std::string io_failure(const redisContext& c, int err) {
    if (c.err == REDIS_ERR_IO && (err == EAGAIN || err == EWOULDBLOCK))
        return "no reply within " + std::to_string(redis_limits::reply_timeout.count()) + " ms";
    if (c.err == REDIS_ERR_EOF) return "the connection was closed";
    return c.errstr;
}

}  // namespace

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

std::string script_sha1(std::string_view script) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(script.data(), script.size(), digest, &size, EVP_sha1(), nullptr) != 1)
        throw std::runtime_error("SHA-1 failed in libcrypto");
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * size);
    for (unsigned int i = 0; i < size; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 0xf];
    }
    return out;
}

redisContext& connection::context() {
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

// A new connection with the reply timeout set and the database selected; throws store_error with
// the reason alone (the caller names the server).
context_ptr connection::open() {
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

std::string connection::connect_failure(const redisContext& c) const {
    std::string why = c.errstr;
    // hiredis says "Connection timed out" both for its own timeout and the system's.
    if (why.find("timed out") != std::string::npos)
        why = "no connection within " + std::to_string(redis_limits::connect_timeout.count()) + " ms";
    return "cannot connect: " + why;
}

void connection::failed(const char* what, int err) {
    std::string why = io_failure(*ctx_, err);
    reset();  // never reused: a late reply must not answer the next command; reconnect at once
    throw store_error(name_ + ": " + what + " failed: " + why);
}

reply_ptr connection::exchange(const char* what, const std::vector<std::string_view>& args) {
    redisContext& c = context();
    int err = 0;
    auto r = send_command(c, args, err);
    if (!r) failed(what, err);
    return r;
}

reply_ptr connection::accepted(const char* what, reply_ptr r) const {
    if (r->type == REDIS_REPLY_ERROR) throw store_error(name_ + ": " + what + " refused: " + std::string(text_of(*r)));
    return r;
}

reply_ptr connection::command(const char* what, const std::vector<std::string_view>& args) {
    return accepted(what, exchange(what, args));
}

reply_ptr connection::eval(const char* what, const char* script, const std::vector<std::string>& keys,
                           const std::vector<std::string_view>& args) {
    auto [known, added] = script_shas_.try_emplace(script);
    if (added) known->second = script_sha1(script);
    auto nkeys = std::to_string(keys.size());
    std::vector<std::string_view> argv{"EVALSHA", known->second, nkeys};
    for (const auto& k : keys) argv.push_back(k);
    for (auto a : args) argv.push_back(a);
    auto r = exchange(what, argv);
    if (r->type == REDIS_REPLY_ERROR && text_of(*r).starts_with("NOSCRIPT")) {
        argv[0] = "EVAL";
        argv[1] = script;
        r = exchange(what, argv);
    }
    return accepted(what, std::move(r));
}

std::int64_t connection::integer(const reply_ptr& r, const char* what) {
    if (r->type != REDIS_REPLY_INTEGER) unexpected(what);
    return r->integer;
}

void connection::unexpected(const char* what) {
    reset();
    throw store_error(name_ + ": unexpected reply to " + what);
}

void connection::subscribe(const std::string& channel) {
    auto r = command("SUBSCRIBE", {"SUBSCRIBE", channel});
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3) unexpected("SUBSCRIBE");
}

std::optional<std::string> connection::read_message(std::chrono::milliseconds wait) {
    redisContext& c = context();
    for (;;) {
        void* raw = nullptr;
        if (redisGetReplyFromReader(&c, &raw) != REDIS_OK) failed("reading a message", errno);
        if (raw) {
            reply_ptr r(static_cast<redisReply*>(raw));
            // ["message", channel, payload]; anything else (a pong) is skipped.
            if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 && r->element[0]->type == REDIS_REPLY_STRING &&
                text_of(*r->element[0]) == "message" && r->element[2]->type == REDIS_REPLY_STRING)
                return std::string(text_of(*r->element[2]));
            continue;
        }
        pollfd p{c.fd, POLLIN, 0};
        int n = ::poll(&p, 1, static_cast<int>(wait.count()));
        if (n == 0) return std::nullopt;
        if (n < 0) {
            if (errno == EINTR) return std::nullopt;
            failed("waiting for a message", errno);
        }
        if (redisBufferRead(&c) != REDIS_OK) failed("reading a message", errno);
        wait = std::chrono::milliseconds(0);  // what arrived is read; the next loop only drains
    }
}

}  // namespace peershare::redis
