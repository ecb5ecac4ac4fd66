// The sweep of stored shares (flows/sweeper.hpp).
#include "peershare/flows/sweeper.hpp"

#include "peershare/core/duration.hpp"
#include "peershare/core/log.hpp"

#include <algorithm>

namespace peershare::flows {

std::chrono::milliseconds sweeper::interval() const { return std::clamp(grace_ / 4, min_interval, max_interval); }

sweeper::report sweeper::run(resource_store& store, const tracker& swarms, std::int64_t now,
                             std::chrono::steady_clock::time_point steady_now) {
    report out;
    const auto grace_s = std::chrono::duration_cast<std::chrono::seconds>(grace_).count();
    // last_seen has one-second resolution: a share is stale once a whole grace period has passed.
    const auto cutoff = now - std::max<std::int64_t>(grace_s, 1);
    try {
        // Once this instance stops, its shares are deleted a grace period later, as for any holder
        // that left.
        if (shared_ && (!refreshed_at_ || steady_now - *refreshed_at_ >= grace_ / 4)) {
            for (const auto& id : swarms.active_resources()) {
                store.touch(id, now);
                ++out.refreshed;
            }
            refreshed_at_ = steady_now;
        }
        for (;;) {
            auto stale = store.stale(cutoff, batch);
            for (const auto& id : stale) {
                if (swarms.is_active(id)) {
                    store.touch(id, now);  // held: never expires while a swarm exists
                    ++out.kept;
                } else if (store.remove_if_stale(id, cutoff)) {
                    ++out.deleted;
                    PS_LOG(info, "deleted share " << id.str() << ": no holder for " << format_duration(grace_));
                }
            }
            if (stale.size() < batch) break;
        }
        if (out.deleted > 0) out.count = store.count();
    } catch (const store_error& e) {
        PS_LOG(warn, "sweep failed: " << e.what());
        out.failed = true;
    }
    return out;
}

}  // namespace peershare::flows
