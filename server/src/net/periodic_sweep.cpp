// The sweep timer (periodic_sweep.hpp).
#include "periodic_sweep.hpp"

#include "peershare/core/clock.hpp"

namespace peershare::net {

periodic_sweep::periodic_sweep(asio::io_context& ioc, flows::sweeper policy, blocking_worker<resource_store>& store,
                               tracker& t, std::atomic<std::int64_t>& shares)
    : timer_(ioc), policy_(policy), store_(store), tracker_(t), shares_(shares) {}

void periodic_sweep::start() { schedule(); }

void periodic_sweep::stop() {
    stopped_ = true;
    timer_.cancel();
}

void periodic_sweep::schedule() {
    timer_.expires_after(policy_.interval());
    timer_.async_wait([this](error_code ec) {
        if (ec || stopped_) return;
        tracker_.prune(std::chrono::steady_clock::now());
        store_.post([this](resource_store& store) {
            auto report = policy_.run(store, tracker_, unix_now(), std::chrono::steady_clock::now());
            if (report.count) shares_ = *report.count;
        });
        schedule();
    });
}

}  // namespace peershare::net
