// The Redis resource store: its time limits and its factory. The contract is resource_store's
// (store/resource_store.hpp); how shares are laid out in Redis is described in src/store/redis_store.cpp.
#pragma once

#include "peershare/store/redis_url.hpp"
#include "peershare/store/resource_store.hpp"

#include <chrono>
#include <memory>

namespace peershare {

// The store runs on the server's one store thread: while a call blocks, every announce, lookup and
// health check waits behind it. These bound how long a missing or stalled Redis can hold it.
namespace redis_limits {
// Opening the TCP connection. A Redis on the same network accepts in well under a millisecond; a
// second covers a loaded host, and is all a caller waits when Redis is unreachable.
inline constexpr std::chrono::milliseconds connect_timeout{1000};
// Waiting for one reply. Every command the store sends touches one share or a bounded batch, which
// Redis answers in well under a millisecond; no reply within a second means Redis is stalled (paused,
// swapping, blocked by a slow script) and the caller gets an error instead of waiting on.
inline constexpr std::chrono::milliseconds reply_timeout{1000};
// After a failed connection attempt, calls fail at once (naming the last error) until this much time
// has passed; the wait doubles with each failed attempt up to max_reconnect_backoff. A Redis that is
// down thus costs one connection attempt per wait, not one per request, and one that is back is
// used again within max_reconnect_backoff, without a restart.
inline constexpr std::chrono::milliseconds min_reconnect_backoff{100};
inline constexpr std::chrono::milliseconds max_reconnect_backoff{2000};
}  // namespace redis_limits

// A store on the Redis at `url` (its database url.db). Connects at once and throws store_error when
// that fails; later calls reconnect by themselves (see redis_limits). Keys are prefixed "peershare:".
std::unique_ptr<resource_store> make_redis_store(const redis_url& url);

}  // namespace peershare
