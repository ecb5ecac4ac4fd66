// This instance's two standing links to the other instances through Redis (--store redis://): the
// heartbeat thread (keeps the instance alive, cleans up dead ones, and has memberships rewritten
// when Redis lost them) and the subscriber thread (receives what other instances send here and
// delivers it). Commands (joins, leaves, lookups, relays, resyncs) go through the directory's
// worker, one at a time on its thread. See docs/architecture.md, "Several instances".
#pragma once

#include "blocking_worker.hpp"
#include "session_registry.hpp"

#include "peershare/core/metrics.hpp"
#include "peershare/core/swarm_directory.hpp"
#include "peershare/core/tracker.hpp"
#include "peershare/store/redis_swarms.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string_view>
#include <thread>

namespace peershare::net {

class cluster_link {
public:
    // `swarms` is used by `commands` (its worker) and by the two threads here, each on its own
    // connection (store/redis_swarms.hpp).
    cluster_link(redis_swarms& swarms, blocking_worker<swarm_directory>& commands, tracker& t,
                 session_registry& sessions, metrics& m);
    ~cluster_link();
    cluster_link(const cluster_link&) = delete;
    cluster_link& operator=(const cluster_link&) = delete;

    void start();
    // Stops both threads, waits for the commands already posted, and removes this instance's key
    // once its memberships are gone. Idempotent.
    void stop();

private:
    void heartbeat_loop();
    void subscriber_loop();
    void from_instance(std::string_view text);
    // Waits `d` or until stop(); false once stopping.
    bool wait(std::chrono::milliseconds d);
    bool stopping();

    redis_swarms& swarms_;
    blocking_worker<swarm_directory>& commands_;
    tracker& tracker_;
    session_registry& sessions_;
    metrics& metrics_;
    std::thread heartbeat_thread_, subscriber_thread_;
    std::mutex stop_mutex_;
    std::condition_variable stop_cv_;
    bool stopping_ = false;  // under stop_mutex_
    bool stopped_ = false;
    std::atomic<bool> resync_queued_{false};
};

}  // namespace peershare::net
