// Calls to one object whose calls may block (the resource store; the Redis-backed swarm directory):
// made one at a time, in order, on a thread of the worker's own, so that no network thread ever
// waits on a disk or on Redis. An object whose calls do not block (the one-instance directory) gets
// a worker without a thread: its calls run inline, on the caller's thread, and it must then be safe
// to call from any of them.
#pragma once

#include "beast.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <type_traits>
#include <utility>

namespace peershare::net {

template <class Target>
class blocking_worker {
public:
    // `own_thread`: whether calls go to a thread of the worker's own.
    blocking_worker(Target& target, bool own_thread)
        : target_(target), thread_(own_thread ? std::make_unique<asio::thread_pool>(1) : nullptr) {}
    ~blocking_worker() { join(); }
    blocking_worker(const blocking_worker&) = delete;
    blocking_worker& operator=(const blocking_worker&) = delete;

    // Whether a call leaves the caller's thread (the caller then suspends until it is done).
    bool hops() const noexcept { return thread_ != nullptr; }

    // The object itself, for calls made on the spot when hops() is false (no coroutine, no wait).
    Target& inline_target() noexcept { return target_; }

    // Runs `fn(target)` and resumes the caller with its result, on the caller's executor; an
    // exception thrown by `fn` is rethrown here.
    template <class F>
    asio::awaitable<std::invoke_result_t<F, Target&>> call(F fn) {
        using result = std::invoke_result_t<F, Target&>;
        if (!thread_) co_return fn(target_);
        co_return co_await asio::co_spawn(
            thread_->get_executor(),
            [&target = target_, fn = std::move(fn)]() mutable -> asio::awaitable<result> { co_return fn(target); },
            asio::use_awaitable);
    }

    // Runs `fn(target)` later (or now, without a thread of its own); nobody waits for it.
    template <class F>
    void post(F fn) {
        if (!thread_) {
            fn(target_);
            return;
        }
        asio::post(*thread_, [&target = target_, fn = std::move(fn)]() mutable { fn(target); });
    }

    // Waits until everything posted has run; no call may be made afterwards.
    void join() {
        if (thread_) thread_->join();
    }

private:
    Target& target_;
    std::unique_ptr<asio::thread_pool> thread_;
};

}  // namespace peershare::net
