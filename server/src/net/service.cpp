// Opening, starting and closing the parts every connection shares (service.hpp).
#include "service.hpp"

#include "peershare/core/clock.hpp"
#include "peershare/core/log.hpp"
#include "peershare/store/data_dir.hpp"
#include "peershare/store/redis_store.hpp"

namespace peershare::net {
namespace {

std::unique_ptr<resource_store> open_store(const server_config& config, std::string& name) {
    if (config.redis) {
        name = "Redis at " + config.redis->str();
        return make_redis_store(*config.redis);
    }
    auto file = config.data_dir / "peershare.sqlite3";
    name = "SQLite in " + file.string();
    prepare_data_dir(config.data_dir);
    return make_sqlite_store(file);
}

std::unique_ptr<swarm_directory> open_directory(const server_config& config, const tracker& t) {
    if (config.redis) return std::make_unique<redis_swarms>(*config.redis, config.lim.max_swarm_size);
    return std::make_unique<local_directory>(t);
}

}  // namespace

service::service(const server_config& config, asio::io_context& ioc)
    : config_(config),
      tracker_(config.lim),
      files_(config.web_root),
      store_(open_store(config, store_name_)),
      directory_(open_directory(config, tracker_)),
      redis_(dynamic_cast<redis_swarms*>(directory_.get())),
      store_worker_(*store_, true),
      directory_worker_(*directory_, directory_->blocking()),
      sweep_(ioc, flows::sweeper(config.grace_period, config.redis.has_value()), store_worker_, tracker_, resource_count_),
      shutdown_(ioc, sessions_),
      addresses_(std::make_shared<address_slots>(config.lim.max_connections_per_ip)),
      origins_(config.allowed_origins),
      trusted_proxies_(config.trusted_proxies) {
    // Made before any thread runs: a restart never shortens a share's life.
    store_->touch_all(unix_now());
    resource_count_ = store_->count();
    if (redis_) cluster_ = std::make_unique<cluster_link>(*redis_, directory_worker_, tracker_, sessions_, metrics_);
}

service::~service() {
    if (cluster_) cluster_->stop();  // its threads, then the directory's last commands
    directory_worker_.join();
    store_worker_.join();            // the store's last writes (swarms emptied by the last sessions)
}

void service::start() {
    sweep_.start();
    if (cluster_) cluster_->start();
}

void service::shutdown() {
    sweep_.stop();
    shutdown_.begin();
}

std::int64_t service::uptime_seconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_).count();
}

}  // namespace peershare::net
