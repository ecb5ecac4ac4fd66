// The server's configuration and the command line (flags with PEERSHARE_* environment
// equivalents) that produces it.
#pragma once

#include "peershare/core/limits.hpp"
#include "peershare/core/log.hpp"

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
    std::filesystem::path data_dir = "peershare-data";
    std::optional<std::filesystem::path> web_root;  // serve the web app from here, not the embedded copy
    std::vector<std::string> allowed_origins;       // besides the server's own origin
    std::vector<std::string> stun_servers;          // "stun:host:port" URLs handed to clients in `welcome`
    log::level log_level = log::level::info;
    // A share without holders is deleted after this. Long enough that a reload, a restart or a
    // night offline does not kill a link.
    std::chrono::milliseconds grace_period{std::chrono::hours(24)};
    unsigned threads = 1;  // network threads
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

// The `ice_servers` list of `welcome` (an RTCIceServer array, JSON) for this configuration.
std::string ice_servers_json(const server_config& config);

// Normalizes an origin ("https://Example.org:443/" -> "https://example.org"); nullopt when it is
// not scheme://host[:port].
std::optional<std::string> normalize_origin(std::string_view origin);

}  // namespace peershare
