// Covers store/redis_store on a real redis-server started by the test: the resource_store contract,
// stores sharing one Redis, databases and the key prefix, error replies, and Redis going away (stopped,
// paused) and coming back: calls fail promptly with store_error, and the same store object recovers.
#include "peershare/store/redis_store.hpp"

#include "store/redis_server.hpp"
#include "store/store_contract.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

namespace peershare::test {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

// One redis-server for the contract suite of this process, emptied for every fresh store.
redis_server& shared_redis() {
    static redis_server server;
    return server;
}

INSTANTIATE_TEST_SUITE_P(redis, resource_store_contract,
                         ::testing::Values(store_factory{"redis",
                                                         [] {
                                                             auto& server = shared_redis();
                                                             if (server.command({"FLUSHALL"}) != "OK")
                                                                 throw std::runtime_error("FLUSHALL failed");
                                                             return make_redis_store(server.url());
                                                         }}),
                         store_factory_name);

const std::string metadata_a("PSH1\0redis-a", 12);
const resource_id id_a = resource_id::of_metadata(metadata_a);

// How long `fn` took; it must throw store_error, whose message is stored in `what`.
std::chrono::milliseconds time_failure(const std::function<void()>& fn, std::string& what) {
    auto start = clock_type::now();
    try {
        fn();
        ADD_FAILURE() << "no store_error";
    } catch (const store_error& e) {
        what = e.what();
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - start);
}

// Polls check() until it succeeds or `limit` has passed; true when it succeeded.
bool recovers_within(resource_store& store, std::chrono::milliseconds limit) {
    auto deadline = clock_type::now() + limit;
    while (clock_type::now() < deadline) {
        try {
            store.check();
            return true;
        } catch (const store_error&) {
        }
        std::this_thread::sleep_for(20ms);  // poll interval
    }
    return false;
}

// Connections the server has accepted since it started (each server.command() opens one).
long connections_received(const redis_server& server) {
    auto info = server.command({"INFO", "stats"});
    auto at = info.find("total_connections_received:");
    if (at == std::string::npos) return -1;
    return std::stol(info.substr(at + std::string("total_connections_received:").size()));
}

// Slack for a loaded machine on top of the store's own time limits.
constexpr auto scheduling_slack = 1000ms;

TEST(redis_store, two_stores_on_one_redis_see_each_others_writes) {
    redis_server server;
    auto a = make_redis_store(server.url());
    auto b = make_redis_store(server.url());
    ASSERT_TRUE(a->put(id_a, metadata_a, 10));
    EXPECT_FALSE(b->put(id_a, metadata_a, 20)) << "the second instance finds the share stored";
    EXPECT_EQ(a->get(id_a)->last_seen, 20);
    EXPECT_EQ(b->count(), 1);
    EXPECT_TRUE(b->remove_if_stale(id_a, 30));
    EXPECT_FALSE(a->get(id_a).has_value());
}

TEST(redis_store, databases_are_separate) {
    redis_server server;
    auto db0 = make_redis_store(server.url(0));
    auto db3 = make_redis_store(server.url(3));
    ASSERT_TRUE(db3->put(id_a, metadata_a, 10));
    EXPECT_FALSE(db0->get(id_a).has_value());
    EXPECT_EQ(db0->count(), 0);
    EXPECT_EQ(db3->count(), 1);
    EXPECT_EQ(server.command({"SELECT", "3"}), "OK");
}

TEST(redis_store, keys_are_under_the_peershare_prefix_and_other_keys_are_left_alone) {
    redis_server server;
    ASSERT_EQ(server.command({"SET", "other:key", "kept"}), "OK");
    auto store = make_redis_store(server.url());
    ASSERT_TRUE(store->put(id_a, metadata_a, 10));
    EXPECT_EQ(server.command({"EXISTS", "peershare:share:" + id_a.str()}), "1");
    EXPECT_EQ(server.command({"ZSCORE", "peershare:last_seen", id_a.str()}), "10");
    EXPECT_EQ(store->count(), 1) << "other keys are not shares";
    store->touch_all(50);
    EXPECT_EQ(store->stale(100, 10), std::vector{id_a});
    EXPECT_TRUE(store->remove_if_stale(id_a, 100));
    EXPECT_EQ(server.command({"KEYS", "*"}), "other:key") << "removal deletes both of the share's keys, nothing else";
    EXPECT_EQ(server.command({"GET", "other:key"}), "kept");
}

TEST(redis_store, touch_all_raises_more_shares_than_one_batch) {
    redis_server server;
    auto store = make_redis_store(server.url());
    constexpr int shares = 2500;  // more than two batches of the script
    for (int n = 0; n < shares; ++n) {
        auto m = "PSH1-many-" + std::to_string(n);
        ASSERT_TRUE(store->put(resource_id::of_metadata(m), m, 100 + n % 7));
    }
    store->touch_all(1000);
    EXPECT_EQ(store->stale(1000, 10), std::vector<resource_id>{});
    EXPECT_EQ(store->stale(1001, shares + 1).size(), static_cast<std::size_t>(shares));
}

TEST(redis_store, a_share_missing_one_of_its_keys_is_absent_and_stored_whole_again) {
    redis_server server;
    auto store = make_redis_store(server.url());
    ASSERT_TRUE(store->put(id_a, metadata_a, 10));
    ASSERT_EQ(server.command({"DEL", "peershare:share:" + id_a.str()}), "1");  // deleted by hand
    EXPECT_FALSE(store->get(id_a).has_value());
    EXPECT_FALSE(store->touch(id_a, 20));
    EXPECT_TRUE(store->put(id_a, metadata_a, 30));
    EXPECT_EQ(store->get(id_a)->created, 30);
    EXPECT_EQ(store->get(id_a)->metadata, metadata_a);
}

TEST(redis_store, an_error_reply_throws_store_error_with_redis_reason_and_the_connection_is_kept) {
    redis_server server;
    auto store = make_redis_store(server.url());
    ASSERT_EQ(server.command({"SET", "peershare:last_seen", "not a sorted set"}), "OK");
    const auto before = connections_received(server);
    std::string what;
    time_failure([&] { store->put(id_a, metadata_a, 10); }, what);
    EXPECT_NE(what.find("WRONGTYPE"), std::string::npos) << what;
    EXPECT_NE(what.find("redis at " + server.url().str()), std::string::npos) << what;
    ASSERT_EQ(server.command({"DEL", "peershare:last_seen"}), "1");
    EXPECT_TRUE(store->put(id_a, metadata_a, 10));
    EXPECT_EQ(connections_received(server), before + 2) << "the store kept its connection (the two are the test's own)";
}

// Calls of one command so far, from INFO commandstats (0 when it was never called).
long calls_of(const redis_server& server, const std::string& command) {
    auto info = server.command({"INFO", "commandstats"});
    auto key = "cmdstat_" + command + ":calls=";
    auto at = info.find(key);
    return at == std::string::npos ? 0 : std::stol(info.substr(at + key.size()));
}

TEST(redis_store, scripts_are_sent_once_and_again_after_redis_forgets_them) {
    redis_server server;
    auto store = make_redis_store(server.url());
    ASSERT_TRUE(store->put(id_a, metadata_a, 10));
    for (int n = 0; n < 5; ++n) ASSERT_TRUE(store->touch(id_a, 20 + n));
    // Two scripts (put, touch): the text of each went once (EVAL after a NOSCRIPT), every later call
    // named it by its SHA-1 (EVALSHA). A wrong SHA-1 would be NOSCRIPT every time: six EVALs.
    EXPECT_EQ(calls_of(server, "eval"), 2);
    EXPECT_GE(calls_of(server, "evalsha"), 4);
    ASSERT_EQ(server.command({"SCRIPT", "FLUSH"}), "OK");
    EXPECT_TRUE(store->touch(id_a, 40)) << "NOSCRIPT after a flush: the script is sent again";
    EXPECT_EQ(calls_of(server, "eval"), 3);
    EXPECT_EQ(store->get(id_a)->last_seen, 40);
}

TEST(redis_store, opening_a_store_on_a_closed_port_throws_store_error_naming_the_url) {
    redis_url url;
    {
        redis_server server;
        url = server.url();
    }  // stopped: nothing listens there now
    std::string what;
    auto took = time_failure([&] { make_redis_store(url); }, what);
    EXPECT_LT(took, redis_limits::connect_timeout + scheduling_slack);
    EXPECT_NE(what.find("redis at " + url.str() + ": cannot connect: Connection refused"), std::string::npos) << what;
}

TEST(redis_store, a_database_redis_refuses_throws_store_error_at_open) {
    redis_server server;
    std::string what;
    time_failure([&] { make_redis_store(server.url(99)); }, what);  // 16 databases by default
    EXPECT_NE(what.find("SELECT 99"), std::string::npos) << what;
    EXPECT_NE(what.find("out of range"), std::string::npos) << what;
}

TEST(redis_store, a_stopped_redis_fails_calls_promptly_and_the_same_store_recovers_when_it_is_back) {
    redis_server server;
    auto store = make_redis_store(server.url());
    ASSERT_TRUE(store->put(id_a, metadata_a, 10));
    server.stop();

    // A command larger than the socket buffers, so it is still being written when the closed
    // connection is reset: the write raises SIGPIPE, which must not end the process.
    const std::string big(8 << 20, 'x');
    std::string what;
    auto took = time_failure([&] { store->put(resource_id::of_metadata(big), big, 20); }, what);
    EXPECT_LT(took, redis_limits::connect_timeout + redis_limits::reply_timeout + scheduling_slack);
    EXPECT_NE(what.find("redis at " + server.url().str() + ": put failed"), std::string::npos) << what;

    // Within the backoff, calls fail at once, naming the last error and when the next attempt is.
    time_failure([&] { store->check(); }, what);  // a connection attempt: refused
    EXPECT_NE(what.find("Connection refused"), std::string::npos) << what;
    took = time_failure([&] { store->count(); }, what);
    EXPECT_NE(what.find("next connection attempt in"), std::string::npos) << what;
    EXPECT_LT(took, 100ms) << "no attempt is made within the backoff";

    server.start();  // same port, empty (no persistence)
    EXPECT_TRUE(recovers_within(*store, redis_limits::max_reconnect_backoff + redis_limits::connect_timeout + scheduling_slack))
        << "the store did not reconnect";
    EXPECT_TRUE(store->put(id_a, metadata_a, 20));
    EXPECT_EQ(store->get(id_a)->created, 20);
}

TEST(redis_store, a_paused_redis_fails_calls_within_the_reply_timeout_and_the_store_recovers_on_resume) {
    redis_server server;
    auto store = make_redis_store(server.url());
    ASSERT_TRUE(store->put(id_a, metadata_a, 10));
    server.pause();

    std::string what;
    auto took = time_failure([&] { store->get(id_a); }, what);
    EXPECT_GE(took, redis_limits::reply_timeout - 50ms) << "ended by the reply timeout";
    EXPECT_LT(took, redis_limits::reply_timeout + scheduling_slack);
    EXPECT_NE(what.find("get failed: no reply within 1000 ms"), std::string::npos) << what;

    server.resume();
    EXPECT_TRUE(recovers_within(*store, redis_limits::max_reconnect_backoff + redis_limits::connect_timeout +
                                            redis_limits::reply_timeout + scheduling_slack));
    auto r = store->get(id_a);
    ASSERT_TRUE(r.has_value()) << "the data was kept while paused";
    EXPECT_EQ(r->metadata, metadata_a);
}

}  // namespace
}  // namespace peershare::test
