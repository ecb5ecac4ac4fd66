// Runs the sweep of stored shares (flows/sweeper) every sweeper interval on the store's thread, and
// forgets expired negotiations in the tracker at the same pace.
#pragma once

#include "beast.hpp"
#include "blocking_worker.hpp"

#include "peershare/core/tracker.hpp"
#include "peershare/flows/sweeper.hpp"
#include "peershare/store/resource_store.hpp"

#include <atomic>
#include <cstdint>

namespace peershare::net {

class periodic_sweep {
public:
    // `shares`: the store's share count, updated after deletions.
    periodic_sweep(asio::io_context& ioc, flows::sweeper policy, blocking_worker<resource_store>& store, tracker& t,
                   std::atomic<std::int64_t>& shares);

    void start();
    void stop();  // on the io_context's thread: no sweep is started afterwards

private:
    void schedule();

    asio::steady_timer timer_;
    flows::sweeper policy_;  // used on the store's thread only
    blocking_worker<resource_store>& store_;
    tracker& tracker_;
    std::atomic<std::int64_t>& shares_;
    bool stopped_ = false;
};

}  // namespace peershare::net
