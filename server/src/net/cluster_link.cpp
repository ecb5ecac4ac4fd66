// The heartbeat and subscriber threads of an instance on Redis (cluster_link.hpp).
#include "cluster_link.hpp"

#include "peershare/core/log.hpp"
#include "peershare/store/redis_store.hpp"

namespace peershare::net {

cluster_link::cluster_link(redis_swarms& swarms, blocking_worker<swarm_directory>& commands, tracker& t,
                           session_registry& sessions, metrics& m)
    : swarms_(swarms), commands_(commands), tracker_(t), sessions_(sessions), metrics_(m) {
    swarms_.heartbeat();  // alive before any peer of this instance is listed; throws when Redis is away
    metrics_.cluster_link_state(metrics::cluster_link::heartbeat, true);
}

cluster_link::~cluster_link() { stop(); }

void cluster_link::start() {
    PS_LOG(info, "cluster: instance " << swarms_.instance() << ", presence TTL " << cluster::presence_ttl.count() << " s");
    heartbeat_thread_ = std::thread([this] { heartbeat_loop(); });
    subscriber_thread_ = std::thread([this] { subscriber_loop(); });
}

void cluster_link::stop() {
    if (stopped_) return;
    stopped_ = true;
    {
        std::lock_guard lock(stop_mutex_);
        stopping_ = true;
    }
    stop_cv_.notify_all();
    if (heartbeat_thread_.joinable()) heartbeat_thread_.join();
    if (subscriber_thread_.joinable()) subscriber_thread_.join();
    commands_.join();  // the leaves of the last sessions
    swarms_.retire();
}

bool cluster_link::wait(std::chrono::milliseconds d) {
    std::unique_lock lock(stop_mutex_);
    return !stop_cv_.wait_for(lock, d, [this] { return stopping_; });
}

bool cluster_link::stopping() {
    std::lock_guard lock(stop_mutex_);
    return stopping_;
}

void cluster_link::heartbeat_loop() {
    bool failing = false;
    for (;;) {
        try {
            swarms_.heartbeat();
            if (failing) PS_LOG(info, "cluster: heartbeat reaches Redis again");
            failing = false;
        } catch (const store_error& e) {
            if (!failing) PS_LOG(warn, "cluster: heartbeat failed (retried with backoff): " << e.what());
            failing = true;
        }
        metrics_.cluster_link_state(metrics::cluster_link::heartbeat, !failing);
        if (!failing && swarms_.needs_resync() && !resync_queued_.exchange(true)) {
            commands_.post([this](swarm_directory&) {
                resync_queued_ = false;
                try {
                    swarms_.resync(tracker_.memberships());
                } catch (const store_error& e) {
                    PS_LOG(warn, "cluster: resync failed (retried at the next heartbeat): " << e.what());
                }
            });
        }
        // While Redis is away, try as often as the connection's backoff allows, so it is used again soon.
        if (!wait(failing ? redis_limits::max_reconnect_backoff : std::chrono::milliseconds(cluster::presence_refresh)))
            return;
    }
}

void cluster_link::subscriber_loop() {
    bool failing = false;
    while (!stopping()) {
        try {
            bool resubscribed = false;
            auto message = swarms_.next_message(resubscribed);
            if (resubscribed && failing) PS_LOG(info, "cluster: subscribed again to this instance's channel");
            failing = false;
            metrics_.cluster_link_state(metrics::cluster_link::subscriber, true);
            if (message) from_instance(*message);
        } catch (const store_error& e) {
            if (!failing) PS_LOG(warn, "cluster: subscriber lost Redis (reconnecting with backoff): " << e.what());
            failing = true;
            metrics_.cluster_link_state(metrics::cluster_link::subscriber, false);
            if (!wait(redis_limits::min_reconnect_backoff)) return;
        }
    }
}

void cluster_link::from_instance(std::string_view text) {
    auto message = cluster::decode(text);
    metrics_.cluster_message_in(message.has_value());
    if (!message) {
        PS_LOG(warn, "cluster: ignored a malformed message from another instance (" << text.size() << " bytes)");
        return;
    }
    sessions_.deliver(tracker_.from_instance(*message, std::chrono::steady_clock::now()));
}

}  // namespace peershare::net
