// What one server instance runs with: where it listens, where share metadata lives, which pages may
// connect, the ICE servers handed out, the limits, the share lifetime and the threads. The command
// line (app/config) produces it; run_server (net/server.hpp) runs it. Plain data: no Asio here.
#pragma once

#include "peershare/core/ice_servers.hpp"
#include "peershare/core/limits.hpp"
#include "peershare/core/log.hpp"
#include "peershare/store/redis_url.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace peershare {

struct server_config {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;  // 0: the system picks one (logged at start)
    std::filesystem::path data_dir = "peershare-data";  // where the SQLite store lives
    // --store redis://...: share metadata lives in this Redis, shared by every instance using it;
    // empty: SQLite in data_dir (the default).
    std::optional<redis_url> redis;
    std::optional<std::filesystem::path> web_root;  // serve the web app from here, not the embedded copy
    std::vector<std::string> allowed_origins;       // normalized; besides the server's own origin
    // Reverse proxies (canonical addresses) whose X-Forwarded-For names the client for the
    // per-address connection limit and the logs; empty: the TCP peer is always the client.
    std::vector<std::string> trusted_proxies;
    ice_settings ice;
    log::level log_level = log::level::info;
    // A share without holders is deleted after this. Long enough that a reload, a restart or a
    // night offline does not kill a link.
    std::chrono::milliseconds grace_period{std::chrono::hours(24)};
    unsigned threads = 1;  // network threads
    // How the network threads share connections: one io_context per thread with connections
    // spread over them (the default: faster in bench/RESULTS.md), or one io_context run by every
    // thread (connections on strands).
    enum class io_model { shared, per_thread };
    io_model io = io_model::per_thread;
    limits lim;
};

}  // namespace peershare
