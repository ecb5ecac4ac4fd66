// The state every connection shares: configuration, tracker, metrics, the store and the thread that
// calls it, the registry of live WebSocket sessions (for delivering pushes and relays), per-address
// connection counts, and shutdown. One per server.
#pragma once

#include "beast.hpp"
#include "static_files.hpp"

#include "peershare/app/config.hpp"
#include "peershare/core/forwarded.hpp"
#include "peershare/core/metrics.hpp"
#include "peershare/core/tracker.hpp"
#include "peershare/store/redis_swarms.hpp"
#include "peershare/store/resource_store.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <map>
#include <thread>
#include <unordered_map>

namespace peershare::net {

class websocket_session;

// Counts WebSocket connections per client address. Shared by the service and every session's
// slot, so a session destroyed after the service (at shutdown) can still release its slot.
class address_slots {
public:
    explicit address_slots(std::size_t max_per_address) : max_(max_per_address) {}

    // A held slot; released when destroyed.
    class slot {
    public:
        slot(std::shared_ptr<address_slots> owner, asio::ip::address a) : owner_(std::move(owner)), address_(std::move(a)) {}
        ~slot() { owner_->release(address_); }
        slot(const slot&) = delete;
        slot& operator=(const slot&) = delete;
        const asio::ip::address& address() const noexcept { return address_; }

    private:
        std::shared_ptr<address_slots> owner_;
        asio::ip::address address_;
    };

    // A slot for `a`, or nullptr when the address is at its limit.
    static std::unique_ptr<slot> acquire(const std::shared_ptr<address_slots>& self, const asio::ip::address& a);

private:
    void release(const asio::ip::address& a);

    std::mutex mutex_;
    const std::size_t max_;
    std::map<asio::ip::address, std::size_t> counts_;  // ordered: Asio addresses have no std::hash
};

class service {
public:
    service(const server_config& config, asio::io_context& ioc);
    ~service();

    const server_config& config() const noexcept { return config_; }
    const limits& lim() const noexcept { return config_.lim; }
    peershare::tracker& tracker() noexcept { return tracker_; }
    peershare::metrics& metrics() noexcept { return metrics_; }
    const static_files& files() const noexcept { return files_; }

    // Runs `fn(store)` on the store thread and resumes the caller with its result; a store_error
    // thrown there is rethrown here.
    template <typename F>
    asio::awaitable<std::invoke_result_t<F, resource_store&>> on_store(F fn) {
        return run_on(store_thread_, *store_, std::move(fn));
    }

    // Several instances (--store redis://): swarm membership and messages between instances through
    // Redis; nullptr with SQLite (one instance).
    redis_swarms* cluster() noexcept { return cluster_.get(); }

    // Runs `fn(cluster)` on the cluster thread (which makes every command-connection call to
    // redis_swarms) and resumes the caller with its result; a store_error thrown there is rethrown.
    template <typename F>
    asio::awaitable<std::invoke_result_t<F, redis_swarms&>> on_cluster(F fn) {
        return run_on(cluster_thread_, *cluster_, std::move(fn));
    }

    // Removes memberships from Redis on the cluster thread (no-op with one instance). Fire and forget.
    void cluster_leave(const peer_id& peer, std::vector<resource_id> resources);

    // Starts the heartbeat and subscriber threads (several instances only).
    void start_cluster();

    // Records, on the store thread, that these swarms lost their last member. Fire and forget.
    void swarms_emptied(std::vector<resource_id> ids);

    // Session registry: delivery of tracker output to the sessions it names.
    void add_session(const peer_id& id, std::weak_ptr<websocket_session> session);
    void remove_session(const peer_id& id);
    void deliver(outbox&& out);

    // A per-address WebSocket slot, or nullptr when the address is at its limit.
    std::unique_ptr<address_slots::slot> acquire_address(const asio::ip::address& a) {
        return address_slots::acquire(addresses_, a);
    }

    // The --trusted-proxy addresses, whose X-Forwarded-For names the client.
    const forwarded::trusted_proxies& trusted_proxies() const noexcept { return trusted_proxies_; }

    // Origin policy of docs/protocol.md §2: no Origin, the server's own origin (by Host), or one of
    // --allowed-origin.
    bool origin_allowed(std::string_view origin, std::string_view host) const;

    std::atomic<std::int64_t>& resource_count() noexcept { return resource_count_; }
    // Which store holds share metadata, for the log: "SQLite in <file>" or "Redis at <url>".
    const std::string& store_name() const noexcept { return store_name_; }
    std::int64_t uptime_seconds() const;

    // Starts the periodic sweep of shares past their grace period.
    void start_sweeper();

    // Stops accepting work: closes every session with 1001 and stops the io_context when the last
    // one is gone (or after a deadline).
    void shutdown();
    bool shutting_down() const noexcept { return shutting_down_; }

private:
    // Runs `fn(target)` on `thread` and resumes the caller with its result (or its exception).
    template <typename Target, typename F>
    static asio::awaitable<std::invoke_result_t<F, Target&>> run_on(asio::thread_pool& thread, Target& target, F fn) {
        using result = std::invoke_result_t<F, Target&>;
        co_return co_await asio::co_spawn(
            thread.get_executor(),
            [&target, fn = std::move(fn)]() mutable -> asio::awaitable<result> { co_return fn(target); },
            asio::use_awaitable);
    }
    void sweep_once();
    void heartbeat_loop();
    void subscriber_loop();
    void from_instance(std::string_view text);
    // Waits `d` or until the cluster threads stop; false when they stop.
    bool cluster_wait(std::chrono::milliseconds d);
    void stop_cluster();
    void schedule_sweep();

    const server_config& config_;
    asio::io_context& ioc_;
    peershare::tracker tracker_;
    peershare::metrics metrics_;
    static_files files_;
    std::unique_ptr<resource_store> store_;
    std::string store_name_;
    // When the sweep last raised last_seen of every share held here (shared stores only; store thread).
    std::chrono::steady_clock::time_point active_refreshed_{};
    asio::thread_pool store_thread_{1};  // SQLite is used by one thread; blocking calls never run on the network
    asio::steady_timer sweep_timer_;

    std::unique_ptr<redis_swarms> cluster_;
    asio::thread_pool cluster_thread_{1};  // the command connection: one caller at a time, in order
    std::thread heartbeat_thread_, subscriber_thread_;
    std::mutex cluster_stop_mutex_;
    std::condition_variable cluster_stop_cv_;
    bool cluster_stopping_ = false;          // under cluster_stop_mutex_
    std::atomic<bool> resync_queued_{false};
    std::atomic<std::int64_t> resource_count_{0};
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();

    std::mutex sessions_mutex_;
    std::unordered_map<peer_id, std::weak_ptr<websocket_session>> sessions_;
    std::shared_ptr<address_slots> addresses_;
    forwarded::trusted_proxies trusted_proxies_;
    std::atomic<bool> shutting_down_{false};
};

std::int64_t unix_now();

}  // namespace peershare::net
