// What every connection of one server instance shares, as parts each owning one job: the
// configuration, the tracker (swarms and negotiations in memory), the metrics, the web app's
// files, the resource store with its worker thread, the swarm directory (this instance alone, or
// every instance on one Redis) with its worker, the registry of live sessions, per-address counts,
// the origin policy, the periodic sweep and the shutdown sequence. It opens the store and the
// directory at construction and closes them at destruction; it decides nothing about requests
// (flows/ does).
#pragma once

#include "address_slots.hpp"
#include "beast.hpp"
#include "blocking_worker.hpp"
#include "cluster_link.hpp"
#include "periodic_sweep.hpp"
#include "session_registry.hpp"
#include "shutdown_sequence.hpp"
#include "static_files.hpp"

#include "peershare/core/forwarded.hpp"
#include "peershare/core/metrics.hpp"
#include "peershare/core/origin_policy.hpp"
#include "peershare/core/swarm_directory.hpp"
#include "peershare/core/tracker.hpp"
#include "peershare/flows/context.hpp"
#include "peershare/net/server_config.hpp"
#include "peershare/store/redis_swarms.hpp"
#include "peershare/store/resource_store.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

namespace peershare::net {

class service {
public:
    // Opens the store (and, with Redis, registers this instance); throws when it cannot.
    service(const server_config& config, asio::io_context& ioc);
    ~service();
    service(const service&) = delete;
    service& operator=(const service&) = delete;

    const server_config& config() const noexcept { return config_; }
    const limits& lim() const noexcept { return config_.lim; }
    peershare::tracker& tracker() noexcept { return tracker_; }
    peershare::metrics& metrics() noexcept { return metrics_; }
    const static_files& files() const noexcept { return files_; }
    session_registry& sessions() noexcept { return sessions_; }
    const origin_policy& origins() const noexcept { return origins_; }
    // The --trusted-proxy addresses, whose X-Forwarded-For names the client.
    const forwarded::trusted_proxies& trusted_proxies() const noexcept { return trusted_proxies_; }

    // The store's calls, on its own thread; and the directory's, on its own thread when it blocks.
    blocking_worker<resource_store>& store() noexcept { return store_worker_; }
    blocking_worker<swarm_directory>& directory() noexcept { return directory_worker_; }
    // Whether swarms span instances (--store redis://): the cluster metrics are shown then.
    bool clustered() const noexcept { return directory_->spans_instances(); }

    // What the request flows work with.
    flows::context flow_context() noexcept { return {tracker_, config_.lim, directory_->spans_instances()}; }

    // A per-address WebSocket slot, or nullptr when the address is at its limit.
    std::unique_ptr<address_slots::slot> acquire_address(const asio::ip::address& a) {
        return address_slots::acquire(addresses_, a);
    }

    std::atomic<std::int64_t>& resource_count() noexcept { return resource_count_; }
    // Which store holds share metadata, for the log: "SQLite in <file>" or "Redis at <url>".
    const std::string& store_name() const noexcept { return store_name_; }
    std::int64_t uptime_seconds() const;

    // Starts the periodic sweep and the links to other instances.
    void start();
    // Stops the sweep and begins the shutdown sequence. On the main io_context's thread.
    void shutdown();
    bool shutting_down() const noexcept { return shutdown_.under_way(); }

private:
    const server_config& config_;
    peershare::tracker tracker_;
    peershare::metrics metrics_;
    static_files files_;
    std::string store_name_;
    std::unique_ptr<resource_store> store_;
    std::atomic<std::int64_t> resource_count_{0};
    std::unique_ptr<swarm_directory> directory_;  // local_directory, or redis_swarms with --store redis://
    redis_swarms* redis_ = nullptr;               // directory_ when it is redis_swarms
    session_registry sessions_;
    // Destroyed before the store, the directory and the registry they call into, in this order:
    // the cluster link's threads and the directory's last commands, then the store's last writes.
    blocking_worker<resource_store> store_worker_;
    blocking_worker<swarm_directory> directory_worker_;
    std::unique_ptr<cluster_link> cluster_;
    periodic_sweep sweep_;
    shutdown_sequence shutdown_;
    std::shared_ptr<address_slots> addresses_;
    origin_policy origins_;
    forwarded::trusted_proxies trusted_proxies_;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace peershare::net
