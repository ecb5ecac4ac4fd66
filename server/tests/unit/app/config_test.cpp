// Covers app/config: parse_command_line (defaults, flags, PEERSHARE_* environment, durations, origins, exit codes) and the ICE servers a configuration hands out.
#include "peershare/app/config.hpp"
#include "peershare/core/ice_servers.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <thread>

namespace peershare {
namespace {

using namespace std::chrono_literals;

// Every environment variable the command line reads.
const char* const env_names[] = {
    "PEERSHARE_HOST",          "PEERSHARE_PORT",          "PEERSHARE_DATA_DIR",
    "PEERSHARE_WEB_ROOT",      "PEERSHARE_ALLOWED_ORIGIN", "PEERSHARE_LOG_LEVEL",
    "PEERSHARE_GRACE_PERIOD",  "PEERSHARE_THREADS",       "PEERSHARE_MAX_MESSAGE_BYTES",
    "PEERSHARE_MAX_SWARMS",    "PEERSHARE_MAX_SWARM_SIZE", "PEERSHARE_MAX_LOOKUP_PEERS",
    "PEERSHARE_MESSAGES_PER_SECOND", "PEERSHARE_MESSAGE_BURST", "PEERSHARE_MAX_CONNECTIONS_PER_IP",
    "PEERSHARE_HANDSHAKE_TIMEOUT",   "PEERSHARE_IDLE_TIMEOUT",   "PEERSHARE_STORE",
    "PEERSHARE_TRUSTED_PROXY",
};

struct run_result {
    command_line cl;
    std::string out, err;
};

class config_test : public ::testing::Test {
protected:
    // Each test starts from an environment without PEERSHARE_* variables and gets the old one back.
    void SetUp() override {
        for (const char* name : env_names) {
            if (const char* v = std::getenv(name)) saved_[name] = v;
            ::unsetenv(name);
        }
    }
    void TearDown() override {
        for (const char* name : env_names) ::unsetenv(name);
        for (const auto& [name, value] : saved_) ::setenv(name.c_str(), value.c_str(), 1);
    }
    static void set_env(const char* name, const char* value) { ::setenv(name, value, 1); }

    static run_result run(std::vector<std::string> args) {
        args.insert(args.begin(), "peershare");
        std::vector<const char*> argv;
        for (const auto& a : args) argv.push_back(a.c_str());
        argv.push_back(nullptr);
        std::ostringstream out, err;
        auto cl = parse_command_line(static_cast<int>(args.size()), argv.data(), out, err);
        return {std::move(cl), out.str(), err.str()};
    }
    // Runs `serve` with `args` and expects a configuration.
    static server_config serve(std::vector<std::string> args = {}) {
        args.insert(args.begin(), "serve");
        auto r = run(args);
        EXPECT_EQ(r.cl.exit_code, 0) << r.err;
        EXPECT_TRUE(r.cl.config.has_value()) << r.err;
        return r.cl.config.value_or(server_config{});
    }
    // Runs `serve` with `args` and expects an exit without a configuration.
    static run_result refuse(std::vector<std::string> args) {
        args.insert(args.begin(), "serve");
        auto r = run(args);
        EXPECT_FALSE(r.cl.config.has_value()) << "accepted: " << ::testing::PrintToString(args);
        EXPECT_NE(r.cl.exit_code, 0);
        EXPECT_FALSE(r.err.empty()) << "a refusal says why";
        return r;
    }
    // Runs `serve` with `args`, expects a refusal with exit code 2 whose message contains `why`.
    static void refused_with(std::vector<std::string> args, std::string_view why) {
        auto r = refuse(args);
        EXPECT_EQ(r.cl.exit_code, 2) << ::testing::PrintToString(args);
        EXPECT_NE(r.err.find(why), std::string::npos) << ::testing::PrintToString(args) << " said:\n" << r.err;
    }

private:
    std::map<std::string, std::string> saved_;
};

TEST_F(config_test, serve_without_flags_uses_the_defaults) {
    auto c = serve();
    const limits l;
    EXPECT_EQ(c.host, "127.0.0.1");
    EXPECT_EQ(c.port, 8080);
    EXPECT_EQ(c.data_dir, std::filesystem::path("peershare-data"));
    EXPECT_FALSE(c.redis.has_value()) << "SQLite is the default store";
    EXPECT_FALSE(c.web_root.has_value());
    EXPECT_TRUE(c.allowed_origins.empty());
    EXPECT_EQ(c.log_level, log::level::info);
    EXPECT_EQ(c.grace_period, 24h);
    EXPECT_EQ(c.threads, std::max(1u, std::thread::hardware_concurrency()));
    EXPECT_EQ(c.io, server_config::io_model::per_thread);
    EXPECT_EQ(c.lim.max_message_bytes, l.max_message_bytes);
    EXPECT_EQ(c.lim.max_swarms, l.max_swarms);
    EXPECT_EQ(c.lim.max_swarm_size, l.max_swarm_size);
    EXPECT_EQ(c.lim.max_lookup_peers, l.max_lookup_peers);
    EXPECT_EQ(c.lim.messages_per_second, l.messages_per_second);
    EXPECT_EQ(c.lim.message_burst, l.message_burst);
    EXPECT_EQ(c.lim.max_connections_per_ip, l.max_connections_per_ip);
    EXPECT_EQ(c.lim.handshake_timeout, 10s);
    EXPECT_EQ(c.lim.idle_timeout, 60s);
    EXPECT_EQ(c.lim.max_open_offers, l.max_open_offers);
    EXPECT_EQ(c.lim.signal_session_ttl, l.signal_session_ttl);
}

TEST_F(config_test, flags_set_every_field) {
    auto web = std::filesystem::temp_directory_path();
    auto c = serve({"--host", "0.0.0.0", "--port", "9000", "--data-dir", "/var/lib/peershare", "--web-root", web.string(),
                    "--log-level", "debug", "--grace-period", "7d", "--threads", "3", "--io-model", "shared", "--max-message-bytes", "2048",
                    "--max-swarms", "10", "--max-swarm-size", "5", "--max-lookup-peers", "7", "--messages-per-second",
                    "5.5", "--message-burst", "20", "--max-connections-per-ip", "3", "--handshake-timeout", "500ms",
                    "--idle-timeout", "30s"});
    EXPECT_EQ(c.host, "0.0.0.0");
    EXPECT_EQ(c.port, 9000);
    EXPECT_EQ(c.data_dir, std::filesystem::path("/var/lib/peershare"));
    EXPECT_EQ(c.web_root, web);
    EXPECT_EQ(c.log_level, log::level::debug);
    EXPECT_EQ(c.grace_period, 7 * 24h);
    EXPECT_EQ(c.threads, 3u);
    EXPECT_EQ(c.io, server_config::io_model::shared);
    EXPECT_EQ(c.lim.max_message_bytes, 2048u);
    EXPECT_EQ(c.lim.max_swarms, 10u);
    EXPECT_EQ(c.lim.max_swarm_size, 5u);
    EXPECT_EQ(c.lim.max_lookup_peers, 7u);
    EXPECT_EQ(c.lim.messages_per_second, 5.5);
    EXPECT_EQ(c.lim.message_burst, 20.0);
    EXPECT_EQ(c.lim.max_connections_per_ip, 3u);
    EXPECT_EQ(c.lim.handshake_timeout, 500ms);
    EXPECT_EQ(c.lim.idle_timeout, 30s);
}

TEST_F(config_test, store_takes_a_redis_url_and_keeps_the_data_dir) {
    auto c = serve({"--store", "redis://10.0.0.5:6380/2", "--data-dir", "/srv/ps"});
    ASSERT_TRUE(c.redis.has_value());
    EXPECT_EQ(c.redis->host, "10.0.0.5");
    EXPECT_EQ(c.redis->port, 6380);
    EXPECT_EQ(c.redis->db, 2);
    EXPECT_EQ(c.data_dir, std::filesystem::path("/srv/ps"));
    EXPECT_FALSE(serve({"--store", "sqlite"}).redis.has_value()) << "sqlite can be named explicitly";
}

TEST_F(config_test, store_is_read_from_the_environment) {
    set_env("PEERSHARE_STORE", "redis://cache.internal");
    auto c = serve();
    ASSERT_TRUE(c.redis.has_value());
    EXPECT_EQ(c.redis->str(), "redis://cache.internal:6379/0");
}

TEST_F(config_test, store_that_is_neither_sqlite_nor_a_redis_url_is_refused_naming_the_problem) {
    refused_with({"--store", "postgres://db:5432"}, "--store 'postgres://db:5432' is not a URL like redis://HOST:PORT/DB");
    refused_with({"--store", "redis://h:0"}, "--store 'redis://h:0': the port '0' is not a number from 1 to 65535");
    refused_with({"--store", "redis://h:6379/x"},
                 "--store 'redis://h:6379/x': the database 'x' is not a number from 0 to 2147483647");
    set_env("PEERSHARE_STORE", "redis://h:99999");
    refused_with({}, "--store 'redis://h:99999': the port '99999' is not a number from 1 to 65535");
}

TEST_F(config_test, port_zero_is_accepted_to_let_the_system_pick) {
    EXPECT_EQ(serve({"--port", "0"}).port, 0);
}

TEST_F(config_test, environment_variables_apply) {
    set_env("PEERSHARE_HOST", "::1");
    set_env("PEERSHARE_PORT", "9123");
    set_env("PEERSHARE_DATA_DIR", "/tmp/ps");
    set_env("PEERSHARE_LOG_LEVEL", "warn");
    set_env("PEERSHARE_GRACE_PERIOD", "2h");
    set_env("PEERSHARE_MAX_SWARMS", "11");
    set_env("PEERSHARE_MESSAGE_BURST", "40");
    set_env("PEERSHARE_IDLE_TIMEOUT", "90s");
    auto c = serve();
    EXPECT_EQ(c.host, "::1");
    EXPECT_EQ(c.port, 9123);
    EXPECT_EQ(c.data_dir, std::filesystem::path("/tmp/ps"));
    EXPECT_EQ(c.log_level, log::level::warn);
    EXPECT_EQ(c.grace_period, 2h);
    EXPECT_EQ(c.lim.max_swarms, 11u);
    EXPECT_EQ(c.lim.message_burst, 40.0);
    EXPECT_EQ(c.lim.idle_timeout, 90s);
}

TEST_F(config_test, flag_wins_over_its_environment_variable) {
    set_env("PEERSHARE_PORT", "9123");
    EXPECT_EQ(serve({"--port", "9200"}).port, 9200);
}

TEST_F(config_test, allowed_origins_from_the_environment_are_comma_separated_and_normalized) {
    set_env("PEERSHARE_ALLOWED_ORIGIN", "https://A.example:443,http://b.example:8080");
    EXPECT_EQ(serve().allowed_origins, (std::vector<std::string>{"https://a.example", "http://b.example:8080"}));
}

TEST_F(config_test, invalid_environment_value_is_refused) {
    set_env("PEERSHARE_PORT", "not-a-port");
    auto r = refuse({});
    EXPECT_NE(r.err.find("Could not convert: --port = not-a-port"), std::string::npos) << r.err;
}

TEST_F(config_test, durations_accept_every_unit) {
    auto c = serve({"--grace-period", "90m", "--handshake-timeout", "2s", "--idle-timeout", "1m"});
    EXPECT_EQ(c.grace_period, 90min);
    EXPECT_EQ(c.lim.handshake_timeout, 2s);
    EXPECT_EQ(c.lim.idle_timeout, 60s);
    EXPECT_EQ(serve({"--grace-period", "45"}).grace_period, 45s) << "a plain number is seconds";
}

TEST_F(config_test, malformed_duration_is_refused_with_a_message) {
    const auto usage = std::string(" is not a duration like 500ms, 30s, 10m, 24h");
    for (auto [flag, value] : {std::pair{"--grace-period", "tomorrow"}, {"--idle-timeout", "-5s"}, {"--handshake-timeout", "1.5s"}}) {
        auto r = refuse({flag, value});
        EXPECT_NE(r.err.find(std::string(flag) + ": '" + value + "'" + usage), std::string::npos) << r.err;
    }
}

TEST_F(config_test, timeouts_below_their_minimum_exit_with_code_2) {
    const auto minimum = "--idle-timeout must be at least 1s and --handshake-timeout at least 100ms";
    refused_with({"--idle-timeout", "999ms"}, minimum);
    refused_with({"--handshake-timeout", "99ms"}, minimum);
    auto ok = serve({"--idle-timeout", "1s", "--handshake-timeout", "100ms"});
    EXPECT_EQ(ok.lim.idle_timeout, 1s);
}

TEST_F(config_test, allowed_origin_is_repeatable_and_normalized) {
    auto c = serve({"--allowed-origin", "https://Example.org:443/", "--allowed-origin", "http://localhost:5173"});
    EXPECT_EQ(c.allowed_origins, (std::vector<std::string>{"https://example.org", "http://localhost:5173"}));
}

TEST_F(config_test, ice_lists_the_built_in_stun_under_the_clients_host_then_the_stun_servers_given) {
    auto c = serve({"--stun-server", "stun:a.example:3478", "--stun-server", "stun:b.example"});
    EXPECT_EQ(ice_for(c.ice, "share.example", "p", 0).servers_json,
              R"([{"urls":["stun:share.example:3478","stun:a.example:3478","stun:b.example"]}])");
    EXPECT_EQ(ice_for(serve({"--no-stun"}).ice, "share.example", "p", 0).servers_json, "[]");
    EXPECT_EQ(ice_for(serve({"--stun-port", "4000"}).ice, "h", "p", 0).servers_json, R"([{"urls":["stun:h:4000"]}])");
    EXPECT_EQ(ice_for(serve({}).ice, "h", "p", 0).transport_policy, "all");
}

TEST_F(config_test, turn_servers_get_time_limited_credentials_for_the_peer) {
    auto c = serve({"--no-stun", "--turn-url", "turn:t.example:3478", "--turn-secret", "north-wind", "--turn-ttl", "1d"});
    auto ice = ice_for(c.ice, "h", "0123456789abcdef0123456789abcdef", 1'699'913'600);
    EXPECT_EQ(ice.expires, 1'700'000'000);
    EXPECT_EQ(ice.servers_json,
              R"([{"credential":"T1gPIIaEwr88Sp16t70Y/Duowzw=","urls":["turn:t.example:3478"],"username":"1700000000:0123456789abcdef0123456789abcdef"}])");
}

TEST_F(config_test, relay_only_sets_the_relay_policy_and_needs_a_turn_server) {
    refused_with({"--relay-only"}, "--relay-only needs a TURN server: give --turn-url and --turn-secret");
    auto c = serve({"--relay-only", "--turn-url", "turn:t.example", "--turn-secret", "s"});
    EXPECT_EQ(ice_for(c.ice, "h", "p", 0).transport_policy, "relay");
}

TEST_F(config_test, a_turn_url_needs_a_secret_and_the_turn_scheme) {
    refused_with({"--turn-url", "turn:t.example"}, "--turn-url needs --turn-secret (coturn's static-auth-secret)");
    refused_with({"--turn-url", "http://t.example", "--turn-secret", "s"},
                 "--turn-url 'http://t.example' is not a URL like turn:turn.example.org:3478");
}

TEST_F(config_test, a_stun_server_that_is_not_a_stun_url_exits_with_code_2) {
    refused_with({"--stun-server", "http://example.org"}, "--stun-server 'http://example.org' is not a URL like stun:stun.example.org:3478");
}

TEST_F(config_test, trusted_proxies_are_none_by_default_repeatable_and_canonical) {
    EXPECT_TRUE(serve().trusted_proxies.empty());
    auto c = serve({"--trusted-proxy", "127.0.0.1", "--trusted-proxy", "2001:DB8::0:1"});
    EXPECT_EQ(c.trusted_proxies, (std::vector<std::string>{"127.0.0.1", "2001:db8::1"}));
}

TEST_F(config_test, trusted_proxies_from_the_environment_are_comma_separated) {
    set_env("PEERSHARE_TRUSTED_PROXY", "10.0.0.1,::1");
    EXPECT_EQ(serve().trusted_proxies, (std::vector<std::string>{"10.0.0.1", "::1"}));
}

TEST_F(config_test, a_trusted_proxy_that_is_not_an_address_exits_with_code_2_and_names_it) {
    refused_with({"--trusted-proxy", "proxy.example"}, "--trusted-proxy 'proxy.example' is not an IPv4 or IPv6 address");
}

TEST_F(config_test, bad_allowed_origin_exits_with_code_2_and_names_it) {
    refused_with({"--allowed-origin", "https://ok.example", "--allowed-origin", "example.org/path"},
                 "--allowed-origin 'example.org/path' is not an origin like https://example.org");
}

TEST_F(config_test, out_of_range_values_are_refused_naming_the_flag_and_the_range) {
    const std::pair<std::vector<std::string>, std::string_view> cases[] = {
        {{"--port", "70000"}, "Could not convert: --port = 70000"},
        {{"--port", "-1"}, "Could not convert: --port = -1"},
        {{"--threads", "0"}, "--threads: Value 0 not in range 1 to 64"},
        {{"--threads", "65"}, "--threads: Value 65 not in range 1 to 64"},
        {{"--io-model", "fast"}, "--io-model: fast not in {shared,per-thread}"},
        {{"--max-message-bytes", "100"}, "--max-message-bytes: Value 100 not in range 1024 to 16777216"},
        {{"--max-swarm-size", "1"}, "--max-swarm-size: Value 1 not in range 2 to 100000"},
        {{"--messages-per-second", "0"}, "--messages-per-second: Value 0 not in range 0.1"},
        {{"--log-level", "verbose"}, "--log-level: verbose not in {trace,debug,info,warn,error,off}"},
    };
    for (const auto& [args, why] : cases) {
        auto r = refuse(args);
        EXPECT_NE(r.err.find(why), std::string::npos) << ::testing::PrintToString(args) << " said:\n" << r.err;
    }
}

TEST_F(config_test, web_root_must_be_an_existing_directory) {
    auto r = refuse({"--web-root", "/nonexistent/peershare-web-root"});
    EXPECT_NE(r.err.find("--web-root: Directory does not exist: /nonexistent/peershare-web-root"), std::string::npos) << r.err;
}

TEST_F(config_test, unknown_flag_exits_non_zero) {
    auto r = refuse({"--no-such-flag"});
    EXPECT_NE(r.err.find("The following argument was not expected: --no-such-flag"), std::string::npos) << r.err;
}

TEST_F(config_test, unknown_subcommand_exits_non_zero) {
    auto r = run({"start"});
    EXPECT_FALSE(r.cl.config.has_value());
    EXPECT_NE(r.cl.exit_code, 0);
    EXPECT_NE(r.err.find("A subcommand is required"), std::string::npos) << r.err;
}

TEST_F(config_test, no_subcommand_exits_non_zero) {
    auto r = run({});
    EXPECT_FALSE(r.cl.config.has_value());
    EXPECT_NE(r.cl.exit_code, 0);
    EXPECT_NE(r.err.find("A subcommand is required"), std::string::npos) << r.err;
}

TEST_F(config_test, help_exits_0_and_names_the_serve_subcommand) {
    auto r = run({"--help"});
    EXPECT_EQ(r.cl.exit_code, 0);
    EXPECT_FALSE(r.cl.config.has_value());
    EXPECT_NE(r.out.find("serve"), std::string::npos) << r.out;
    EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST_F(config_test, serve_help_exits_0_and_lists_its_flags) {
    auto r = run({"serve", "--help"});
    EXPECT_EQ(r.cl.exit_code, 0);
    EXPECT_FALSE(r.cl.config.has_value());
    for (const char* flag : {"--port", "--allowed-origin", "--grace-period", "--max-swarms", "--idle-timeout"})
        EXPECT_NE(r.out.find(flag), std::string::npos) << flag << " in:\n" << r.out;
}

TEST_F(config_test, version_exits_0_and_prints_the_version) {
    auto r = run({"--version"});
    EXPECT_EQ(r.cl.exit_code, 0);
    EXPECT_FALSE(r.cl.config.has_value());
    EXPECT_NE(r.out.find(std::string("peershare ") + PEERSHARE_VERSION_STRING), std::string::npos) << r.out;
}

}  // namespace
}  // namespace peershare
