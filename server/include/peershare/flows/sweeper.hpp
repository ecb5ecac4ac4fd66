// The lifetime of stored shares (docs/protocol.md §4, docs/architecture.md "Resource lifetime"): a
// share no swarm here holds is deleted once its last_seen is a whole grace period old; one a swarm
// here holds never expires (its last_seen is raised instead). With a store several instances share
// (Redis), each raises the last_seen of every share it holds every quarter grace period, because
// the others sweep the same store and know nothing of its swarms.
//
// Runs on the store thread, calling the store directly; times are passed in, so tests drive it with
// a fake store and made-up clocks.
#pragma once

#include "peershare/core/tracker.hpp"
#include "peershare/store/resource_store.hpp"

#include <chrono>
#include <cstdint>
#include <optional>

namespace peershare::flows {

class sweeper {
public:
    // Shares looked at per store call: bounds one store transaction.
    static constexpr std::size_t batch = 500;
    // The sweep runs every grace period / 4, but never more often than this (it would only load
    // the store; short grace periods are for tests) ...
    static constexpr std::chrono::milliseconds min_interval{100};
    // ... nor less often than this: a share past its grace period goes within a minute.
    static constexpr std::chrono::milliseconds max_interval{60'000};

    // `shared_store`: other instances sweep the same store.
    sweeper(std::chrono::milliseconds grace_period, bool shared_store)
        : grace_(grace_period), shared_(shared_store) {}

    std::chrono::milliseconds interval() const;

    struct report {
        std::size_t deleted = 0;
        std::size_t kept = 0;                // stale in the store, held by a swarm here: last_seen raised
        std::size_t refreshed = 0;           // held here, raised for the other instances' sweeps
        std::optional<std::int64_t> count;   // the store's share count, after deletions
        bool failed = false;                 // the store failed part way (logged); the next sweep retries
    };
    // One pass at `now` (Unix seconds; the store's times) and `steady_now` (when to refresh).
    report run(resource_store& store, const tracker& swarms, std::int64_t now,
               std::chrono::steady_clock::time_point steady_now);

private:
    std::chrono::milliseconds grace_;
    bool shared_;
    std::optional<std::chrono::steady_clock::time_point> refreshed_at_;
};

}  // namespace peershare::flows
