// Shared server state: store thread, session registry, sweeping, shutdown.
#include "service.hpp"

#include "websocket_session.hpp"

#include "peershare/core/duration.hpp"
#include "peershare/core/log.hpp"
#include "peershare/store/data_dir.hpp"
#include "peershare/store/redis_store.hpp"

#include <boost/asio/post.hpp>

namespace peershare::net {
namespace {
constexpr std::size_t sweep_batch = 500;                     // bounds one store transaction
constexpr auto shutdown_deadline = std::chrono::seconds(5);  // close handshakes get this long
}  // namespace

std::int64_t unix_now() {
    using namespace std::chrono;
    return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

service::service(const server_config& config, asio::io_context& ioc)
    : config_(config), ioc_(ioc), tracker_(config.lim),
      files_(config.web_root),
      sweep_timer_(ioc),
      addresses_(std::make_shared<address_slots>(config.lim.max_connections_per_ip)),
      trusted_proxies_(config.trusted_proxies) {
    if (config.redis) {
        store_name_ = "Redis at " + config.redis->str();
        store_ = make_redis_store(*config.redis);
    } else {
        auto file = config.data_dir / "peershare.sqlite3";
        store_name_ = "SQLite in " + file.string();
        prepare_data_dir(config.data_dir);
        store_ = make_sqlite_store(file);
    }
    store_->touch_all(unix_now());
    resource_count_ = store_->count();
    if (config.redis) {
        cluster_ = std::make_unique<redis_swarms>(*config.redis, config.lim.max_swarm_size);
        cluster_->heartbeat();  // alive before any peer of this instance is listed
        metrics_.cluster_link_state(metrics::cluster_link::heartbeat, true);
    }
}

service::~service() {
    stop_cluster();
    store_thread_.join();
}

void service::start_cluster() {
    if (!cluster_) return;
    PS_LOG(info, "cluster: instance " << cluster_->instance() << ", presence TTL " << cluster::presence_ttl.count() << " s");
    heartbeat_thread_ = std::thread([this] { heartbeat_loop(); });
    subscriber_thread_ = std::thread([this] { subscriber_loop(); });
}

void service::stop_cluster() {
    if (!cluster_) return;
    {
        std::lock_guard lock(cluster_stop_mutex_);
        cluster_stopping_ = true;
    }
    cluster_stop_cv_.notify_all();
    if (heartbeat_thread_.joinable()) heartbeat_thread_.join();
    if (subscriber_thread_.joinable()) subscriber_thread_.join();
    cluster_thread_.join();  // the leaves of the last sessions
    cluster_->retire();
}

bool service::cluster_wait(std::chrono::milliseconds d) {
    std::unique_lock lock(cluster_stop_mutex_);
    return !cluster_stop_cv_.wait_for(lock, d, [this] { return cluster_stopping_; });
}

void service::heartbeat_loop() {
    bool failing = false;
    for (;;) {
        try {
            cluster_->heartbeat();
            if (failing) PS_LOG(info, "cluster: heartbeat reaches Redis again");
            failing = false;
        } catch (const store_error& e) {
            if (!failing) PS_LOG(warn, "cluster: heartbeat failed (retried with backoff): " << e.what());
            failing = true;
        }
        metrics_.cluster_link_state(metrics::cluster_link::heartbeat, !failing);
        if (!failing && cluster_->needs_resync() && !resync_queued_.exchange(true)) {
            asio::post(cluster_thread_, [this] {
                resync_queued_ = false;
                try {
                    cluster_->resync(tracker_.memberships());
                } catch (const store_error& e) {
                    PS_LOG(warn, "cluster: resync failed (retried at the next heartbeat): " << e.what());
                }
            });
        }
        // While Redis is away, try as often as the connection's backoff allows, so it is used again soon.
        if (!cluster_wait(failing ? redis_limits::max_reconnect_backoff : std::chrono::milliseconds(cluster::presence_refresh)))
            return;
    }
}

void service::subscriber_loop() {
    bool failing = false;
    for (;;) {
        {
            std::lock_guard lock(cluster_stop_mutex_);
            if (cluster_stopping_) return;
        }
        try {
            bool resubscribed = false;
            auto message = cluster_->next_message(resubscribed);
            if (resubscribed && failing) PS_LOG(info, "cluster: subscribed again to this instance's channel");
            failing = false;
            metrics_.cluster_link_state(metrics::cluster_link::subscriber, true);
            if (message) from_instance(*message);
        } catch (const store_error& e) {
            if (!failing) PS_LOG(warn, "cluster: subscriber lost Redis (reconnecting with backoff): " << e.what());
            failing = true;
            metrics_.cluster_link_state(metrics::cluster_link::subscriber, false);
            if (!cluster_wait(redis_limits::min_reconnect_backoff)) return;
        }
    }
}

void service::from_instance(std::string_view text) {
    auto message = cluster::decode(text);
    metrics_.cluster_message_in(message.has_value());
    if (!message) {
        PS_LOG(warn, "cluster: ignored a malformed message from another instance (" << text.size() << " bytes)");
        return;
    }
    deliver(tracker_.from_instance(*message, std::chrono::steady_clock::now()));
}

void service::cluster_leave(const peer_id& peer, std::vector<resource_id> resources) {
    if (!cluster_ || resources.empty()) return;
    asio::post(cluster_thread_, [this, peer, resources = std::move(resources)] {
        for (const auto& r : resources) cluster_->leave(r, peer);
    });
}

std::int64_t service::uptime_seconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_).count();
}

void service::swarms_emptied(std::vector<resource_id> ids) {
    if (ids.empty()) return;
    asio::post(store_thread_, [this, ids = std::move(ids)] {
        auto now = unix_now();
        for (const auto& id : ids) {
            try {
                store_->touch(id, now);
            } catch (const store_error& e) {
                PS_LOG(warn, "store: cannot record that " << id.str() << " lost its last holder: " << e.what());
            }
        }
    });
}

void service::add_session(const peer_id& id, std::weak_ptr<websocket_session> session) {
    std::lock_guard lock(sessions_mutex_);
    sessions_.emplace(id, std::move(session));
}

void service::remove_session(const peer_id& id) {
    bool stop = false;
    {
        std::lock_guard lock(sessions_mutex_);
        sessions_.erase(id);
        stop = shutting_down_ && sessions_.empty();
    }
    if (stop) ioc_.stop();
}

void service::deliver(outbox&& out) {
    if (out.empty()) return;
    std::vector<std::pair<std::shared_ptr<websocket_session>, outbound*>> targets;
    targets.reserve(out.size());
    {
        std::lock_guard lock(sessions_mutex_);
        for (auto& o : out) {
            auto it = sessions_.find(o.to);
            if (it == sessions_.end()) continue;
            if (auto s = it->second.lock()) targets.emplace_back(std::move(s), &o);
        }
    }
    // Send outside the lock: a session's send only queues, but never hold the registry while doing it.
    for (auto& [session, o] : targets) session->send(std::move(o->text), o->type);
}

std::unique_ptr<address_slots::slot> address_slots::acquire(const std::shared_ptr<address_slots>& self,
                                                            const asio::ip::address& a) {
    std::lock_guard lock(self->mutex_);
    auto& n = self->counts_[a];
    if (n >= self->max_) {
        if (n == 0) self->counts_.erase(a);
        return nullptr;
    }
    ++n;
    return std::make_unique<slot>(self, a);
}

void address_slots::release(const asio::ip::address& a) {
    std::lock_guard lock(mutex_);
    auto it = counts_.find(a);
    if (it != counts_.end() && --it->second == 0) counts_.erase(it);
}

bool service::origin_allowed(std::string_view origin, std::string_view host) const {
    if (origin.empty()) return true;  // not a browser: a native peer or a test client
    auto normalized = normalize_origin(origin);
    if (!normalized) return false;
    for (const auto& o : config_.allowed_origins)
        if (*normalized == o) return true;
    if (host.empty()) return false;
    for (std::string_view scheme : {"http://", "https://"}) {
        auto own = normalize_origin(std::string(scheme) + std::string(host));
        if (own && *own == *normalized) return true;
    }
    return false;
}

void service::start_sweeper() { schedule_sweep(); }

void service::schedule_sweep() {
    sweep_timer_.expires_after(config_.sweep_interval());
    sweep_timer_.async_wait([this](error_code ec) {
        if (ec || shutting_down_) return;
        tracker_.prune(std::chrono::steady_clock::now());
        asio::post(store_thread_, [this] { sweep_once(); });
        schedule_sweep();
    });
}

void service::sweep_once() {
    auto grace_s = std::chrono::duration_cast<std::chrono::seconds>(config_.grace_period).count();
    auto now = unix_now();
    // last_seen has one-second resolution: a share is stale once a whole grace period has passed.
    auto cutoff = now - std::max<std::int64_t>(grace_s, 1);
    try {
        // Other instances sweep the same store and know nothing of this one's swarms: every quarter
        // grace period, raise the last_seen of every share held here, so that none of them finds
        // it stale. Once this instance stops, its shares are deleted a grace period later, as for
        // any holder that left.
        auto steady_now = std::chrono::steady_clock::now();
        if (config_.redis && steady_now - active_refreshed_ >= config_.grace_period / 4) {
            for (const auto& id : tracker_.active_resources()) store_->touch(id, now);
            active_refreshed_ = steady_now;
        }
        std::size_t deleted = 0;
        for (;;) {
            auto batch = store_->stale(cutoff, sweep_batch);
            for (const auto& id : batch) {
                if (tracker_.is_active(id)) {
                    store_->touch(id, now);  // held: never expires while a swarm exists
                } else if (store_->remove_if_stale(id, cutoff)) {
                    ++deleted;
                    PS_LOG(info, "deleted share " << id.str() << ": no holder for " << format_duration(config_.grace_period));
                }
            }
            if (batch.size() < sweep_batch) break;
        }
        if (deleted > 0) resource_count_ = store_->count();
    } catch (const store_error& e) {
        PS_LOG(warn, "sweep failed: " << e.what());
    }
}

void service::shutdown() {
    if (shutting_down_.exchange(true)) return;
    sweep_timer_.cancel();
    std::vector<std::shared_ptr<websocket_session>> live;
    {
        std::lock_guard lock(sessions_mutex_);
        for (auto& [id, weak] : sessions_)
            if (auto s = weak.lock()) live.push_back(std::move(s));
    }
    PS_LOG(info, "shutting down: closing " << live.size() << " connection(s)");
    if (live.empty()) {
        ioc_.stop();
        return;
    }
    for (auto& s : live) s->close(websocket::close_code::going_away);
    auto deadline = std::make_shared<asio::steady_timer>(ioc_, shutdown_deadline);
    deadline->async_wait([this, deadline](error_code) { ioc_.stop(); });
}

}  // namespace peershare::net
