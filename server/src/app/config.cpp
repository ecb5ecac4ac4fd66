// Command-line parsing for `peershare` with CLI11.
#include "peershare/app/config.hpp"

#include "peershare/core/duration.hpp"
#include "peershare/core/forwarded.hpp"
#include "peershare/core/origin_policy.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <ostream>
#include <thread>
#include <variant>

namespace peershare {
namespace {

// A CLI11 validator that accepts durations ("500ms", "30s", "10m", "24h", "7d").
struct duration_validator : CLI::Validator {
    duration_validator() : CLI::Validator("DURATION") {
        func_ = [](std::string& s) -> std::string {
            return parse_duration(s) ? std::string() : "'" + s + "' is not a duration like 500ms, 30s, 10m, 24h";
        };
    }
};

}  // namespace

command_line parse_command_line(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
    CLI::App app{"peershare: browser-to-browser file sharing. The server serves the web app, tracks who holds\n"
                 "which share, relays WebRTC signaling between peers, and stores share metadata.",
                 "peershare"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("peershare ") +
#ifdef PEERSHARE_VERSION_STRING
                                          PEERSHARE_VERSION_STRING
#else
                                          "dev"
#endif
    );

    server_config c;
    std::string data_dir = c.data_dir.string(), web_root, log_level = "info";
    std::string grace = format_duration(c.grace_period);
    std::string handshake = format_duration(c.lim.handshake_timeout), idle = format_duration(c.lim.idle_timeout);
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    std::string io_model = "per-thread";

    auto* serve = app.add_subcommand("serve", "Run the server (web app, tracker, signaling relay) in the foreground.");
    serve->add_option("--host", c.host, "Address to listen on")->envname("PEERSHARE_HOST")->capture_default_str();
    serve->add_option("--port", c.port, "TCP port for HTTP and WebSocket; 0 picks a free one")
        ->envname("PEERSHARE_PORT")->capture_default_str();
    serve->add_option("--data-dir", data_dir, "Directory for the SQLite database (created if missing)")
        ->envname("PEERSHARE_DATA_DIR")->capture_default_str();
    std::string store = "sqlite";
    serve->add_option("--store", store,
                      "Where share metadata lives: sqlite (a file in --data-dir) or redis://HOST:PORT[/DB], "
                      "which several instances can share")
        ->envname("PEERSHARE_STORE")->capture_default_str();
    serve->add_option("--web-root", web_root, "Serve the web app from this directory instead of the embedded copy")
        ->envname("PEERSHARE_WEB_ROOT")->check(CLI::ExistingDirectory);
    serve->add_option("--allowed-origin", c.allowed_origins,
                      "Origin allowed to open WebSockets besides the server's own (repeatable; env: comma-separated)")
        ->envname("PEERSHARE_ALLOWED_ORIGIN")->delimiter(',');
    serve->add_option("--trusted-proxy", c.trusted_proxies,
                      "Address of a reverse proxy whose X-Forwarded-For names the client for the per-address "
                      "connection limit and the logs (repeatable; env: comma-separated)")
        ->envname("PEERSHARE_TRUSTED_PROXY")->delimiter(',');
    serve->add_option("--stun-server", c.ice.stun_servers,
                      "STUN server URL handed to browsers, like stun:stun.example.org:3478 (repeatable)")
        ->envname("PEERSHARE_STUN_SERVER")->delimiter(',');
    bool no_stun = false;
    std::string turn_ttl = format_duration(c.ice.turn_ttl);
    serve->add_option("--stun-port", c.ice.stun_port, "UDP port of the built-in STUN responder; 0 picks a free one")
        ->envname("PEERSHARE_STUN_PORT")->capture_default_str();
    serve->add_flag("--no-stun", no_stun, "Do not run the built-in STUN responder")->envname("PEERSHARE_NO_STUN");
    serve->add_option("--turn-url", c.ice.turn_urls, "TURN server URL handed to browsers, like turn:turn.example.org:3478?transport=udp (repeatable)")
        ->envname("PEERSHARE_TURN_URL")->delimiter(',');
    serve->add_option("--turn-secret", c.ice.turn_secret, "coturn's static-auth-secret, to mint time-limited TURN credentials")
        ->envname("PEERSHARE_TURN_SECRET");
    serve->add_option("--turn-ttl", turn_ttl, "Lifetime of minted TURN credentials (pages renew them before expiry)")
        ->envname("PEERSHARE_TURN_TTL")->check(duration_validator())->capture_default_str();
    serve->add_flag("--relay-only", c.ice.relay_only, "Privacy mode: browsers connect only through TURN, never learning each other's address")
        ->envname("PEERSHARE_RELAY_ONLY");
    serve->add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
        ->envname("PEERSHARE_LOG_LEVEL")->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
        ->capture_default_str();
    serve->add_option("--grace-period", grace, "Delete a share this long after its last holder left")
        ->envname("PEERSHARE_GRACE_PERIOD")->check(duration_validator())->capture_default_str();
    serve->add_option("--threads", threads, "Network threads")->envname("PEERSHARE_THREADS")
        ->check(CLI::Range(1u, 64u))->capture_default_str();
    serve->add_option("--io-model", io_model,
                      "shared: one event loop run by every thread; per-thread: one event loop per thread, "
                      "connections spread over them")
        ->envname("PEERSHARE_IO_MODEL")->check(CLI::IsMember({"shared", "per-thread"}))->capture_default_str();

    auto& lim = c.lim;
    auto* limits_group = serve->add_option_group("Limits", "Per-client limits (defaults are safe on the open internet)");
    limits_group->add_option("--max-message-bytes", lim.max_message_bytes, "Largest signaling message; larger closes with 1009")
        ->envname("PEERSHARE_MAX_MESSAGE_BYTES")->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 24))->capture_default_str();
    limits_group->add_option("--max-swarms", lim.max_swarms, "Swarms one connection may join")
        ->envname("PEERSHARE_MAX_SWARMS")->check(CLI::Range(std::size_t{1}, std::size_t{100000}))->capture_default_str();
    limits_group->add_option("--max-swarm-size", lim.max_swarm_size, "Members of one swarm")
        ->envname("PEERSHARE_MAX_SWARM_SIZE")->check(CLI::Range(std::size_t{2}, std::size_t{100000}))->capture_default_str();
    limits_group->add_option("--max-lookup-peers", lim.max_lookup_peers, "Peers returned by one lookup")
        ->envname("PEERSHARE_MAX_LOOKUP_PEERS")->check(CLI::Range(std::size_t{1}, std::size_t{1000}))->capture_default_str();
    limits_group->add_option("--messages-per-second", lim.messages_per_second, "Sustained messages per connection")
        ->envname("PEERSHARE_MESSAGES_PER_SECOND")->check(CLI::Range(0.1, 1e6))->capture_default_str();
    limits_group->add_option("--message-burst", lim.message_burst, "Burst of messages per connection")
        ->envname("PEERSHARE_MESSAGE_BURST")->check(CLI::Range(1.0, 1e6))->capture_default_str();
    limits_group->add_option("--max-connections-per-ip", lim.max_connections_per_ip, "WebSocket connections from one address")
        ->envname("PEERSHARE_MAX_CONNECTIONS_PER_IP")->check(CLI::Range(std::size_t{1}, std::size_t{1000000}))->capture_default_str();
    limits_group->add_option("--handshake-timeout", handshake, "Time allowed for a request's headers and the upgrade")
        ->envname("PEERSHARE_HANDSHAKE_TIMEOUT")->check(duration_validator())->capture_default_str();
    limits_group->add_option("--idle-timeout", idle, "Drop a connection silent for this long (pinged at half)")
        ->envname("PEERSHARE_IDLE_TIMEOUT")->check(duration_validator())->capture_default_str();

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        out << app.help();
        return {0, std::nullopt};
    } catch (const CLI::CallForAllHelp& e) {
        out << app.help("", CLI::AppFormatMode::All);
        return {0, std::nullopt};
    } catch (const CLI::CallForVersion& e) {
        out << e.what() << '\n';
        return {0, std::nullopt};
    } catch (const CLI::ParseError& e) {
        err << "peershare: " << e.what() << "\n";
        err << "Run 'peershare --help' or 'peershare serve --help' for usage.\n";
        return {e.get_exit_code() == 0 ? 2 : e.get_exit_code(), std::nullopt};
    }

    c.data_dir = data_dir;
    if (store != "sqlite") {
        auto parsed = parse_redis_url(store);
        if (auto* why = std::get_if<std::string>(&parsed)) {
            err << "peershare: --store " << *why << " (the store is sqlite or redis://HOST:PORT[/DB])\n";
            return {2, std::nullopt};
        }
        c.redis = std::get<redis_url>(std::move(parsed));
    }
    if (!web_root.empty()) c.web_root = web_root;
    c.log_level = *log::parse_level(log_level);
    c.grace_period = *parse_duration(grace);
    c.lim.handshake_timeout = *parse_duration(handshake);
    c.lim.idle_timeout = *parse_duration(idle);
    c.threads = threads;
    c.io = io_model == "per-thread" ? server_config::io_model::per_thread : server_config::io_model::shared;
    if (c.lim.idle_timeout < std::chrono::seconds(1) || c.lim.handshake_timeout < std::chrono::milliseconds(100)) {
        err << "peershare: --idle-timeout must be at least 1s and --handshake-timeout at least 100ms\n";
        return {2, std::nullopt};
    }
    if (no_stun) c.ice.stun = false;
    c.ice.turn_ttl = std::chrono::duration_cast<std::chrono::seconds>(*parse_duration(turn_ttl));
    if (c.ice.turn_ttl < std::chrono::minutes(1)) {
        err << "peershare: --turn-ttl must be at least 1m\n";
        return {2, std::nullopt};
    }
    for (const auto& url : c.ice.turn_urls) {
        if (!(url.starts_with("turn:") || url.starts_with("turns:")) || url.find_first_of(" \"\\") != std::string::npos) {
            err << "peershare: --turn-url '" << url << "' is not a URL like turn:turn.example.org:3478\n";
            return {2, std::nullopt};
        }
    }
    if (!c.ice.turn_urls.empty() && c.ice.turn_secret.empty()) {
        err << "peershare: --turn-url needs --turn-secret (coturn's static-auth-secret)\n";
        return {2, std::nullopt};
    }
    if (c.ice.relay_only && c.ice.turn_urls.empty()) {
        err << "peershare: --relay-only needs a TURN server: give --turn-url and --turn-secret\n";
        return {2, std::nullopt};
    }
    for (const auto& url : c.ice.stun_servers) {
        if (!url.starts_with("stun:") || url.size() <= 5 || url.find_first_of(" \"\\") != std::string::npos) {
            err << "peershare: --stun-server '" << url << "' is not a URL like stun:stun.example.org:3478\n";
            return {2, std::nullopt};
        }
    }
    for (auto& a : c.trusted_proxies) {
        auto n = forwarded::canonical_address(a);
        if (!n) {
            err << "peershare: --trusted-proxy '" << a << "' is not an IPv4 or IPv6 address\n";
            return {2, std::nullopt};
        }
        a = *n;
    }
    for (auto& o : c.allowed_origins) {
        auto n = normalize_origin(o);
        if (!n) {
            err << "peershare: --allowed-origin '" << o << "' is not an origin like https://example.org\n";
            return {2, std::nullopt};
        }
        o = *n;
    }
    return {0, c};
}

}  // namespace peershare
