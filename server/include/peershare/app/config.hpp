// The server's configuration and the command line (flags with PEERSHARE_* environment
// equivalents) that produces it.
#pragma once

#include "peershare/core/limits.hpp"
#include "peershare/core/log.hpp"
#include "peershare/store/redis_url.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
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
    std::vector<std::string> allowed_origins;       // besides the server's own origin
    // Reverse proxies (canonical addresses) whose X-Forwarded-For names the client for the
    // per-address connection limit and the logs; empty: the TCP peer is always the client.
    std::vector<std::string> trusted_proxies;
    std::vector<std::string> stun_servers;          // "stun:host:port" URLs handed to clients in `welcome`
    // The built-in STUN responder (UDP, same host as HTTP); port 0 picks a free one (logged).
    bool stun = true;
    std::uint16_t stun_port = 3478;
    std::vector<std::string> turn_urls;  // "turn:", "turns:" URLs of a coturn sharing turn_secret
    std::string turn_secret;             // coturn's static-auth-secret
    // Lifetime of minted TURN credentials: a page asks for fresh ones before they expire.
    std::chrono::seconds turn_ttl{std::chrono::hours(12)};
    // Privacy mode: clients use only relayed candidates, so peers never learn each other's address.
    bool relay_only = false;
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

    // How often the store is swept for shares past the grace period.
    std::chrono::milliseconds sweep_interval() const;
};

struct command_line {
    int exit_code = 0;                   // when `config` is empty: exit with this code
    std::optional<server_config> config; // `serve`: run with this
};

// Parses argv; writes help to `out` and errors to `err`.
command_line parse_command_line(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

// What a client needs to set up RTCPeerConnections: its RTCIceServer list (JSON), the transport
// policy, and when TURN credentials in it expire (0 without TURN).
struct ice_config {
    std::string servers_json;
    std::string_view transport_policy;  // "all" or "relay"
    std::int64_t expires = 0;
};

// `host` is the host the client reached the server at (the Host header without port, "" unknown);
// the built-in STUN responder is listed under it.
ice_config ice_for(const server_config& config, std::string_view host, std::string_view peer, std::int64_t now);

// The host part of a Host header ("a.example:8080" -> "a.example", "[::1]:80" -> "[::1]"); "" when
// it is not a plain host name or address.
std::string host_of(std::string_view host_header);

// Normalizes an origin ("https://Example.org:443/" -> "https://example.org"); nullopt when it is
// not scheme://host[:port].
std::optional<std::string> normalize_origin(std::string_view origin);

}  // namespace peershare
