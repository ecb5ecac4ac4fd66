// Covers store/sqlite_store: the resource_store contract on a fresh file per test, persistence across reopening, and open failures with their reasons.
#include "peershare/store/resource_store.hpp"

#include "store/store_contract.hpp"
#include "store/temp_dir.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>

namespace peershare::test {
namespace {

namespace fs = std::filesystem;

// A SQLite store on a database file of its own, deleted when the store is.
class temp_sqlite_store final : public resource_store {
public:
    temp_sqlite_store() : inner_(make_sqlite_store(dir_.path() / "peershare.db")) {}

    bool put(const resource_id& id, std::string_view metadata, std::int64_t now) override {
        return inner_->put(id, metadata, now);
    }
    std::optional<resource_record> get(const resource_id& id) override { return inner_->get(id); }
    bool touch(const resource_id& id, std::int64_t now) override { return inner_->touch(id, now); }
    void touch_all(std::int64_t now) override { inner_->touch_all(now); }
    std::vector<resource_id> stale(std::int64_t cutoff, std::size_t max) override { return inner_->stale(cutoff, max); }
    bool remove_if_stale(const resource_id& id, std::int64_t cutoff) override {
        return inner_->remove_if_stale(id, cutoff);
    }
    std::int64_t count() override { return inner_->count(); }
    void check() override { inner_->check(); }

private:
    temp_dir dir_;  // declared first: the database is closed before its directory is removed
    std::unique_ptr<resource_store> inner_;
};

INSTANTIATE_TEST_SUITE_P(sqlite, resource_store_contract,
                         ::testing::Values(store_factory{"sqlite", [] { return std::make_unique<temp_sqlite_store>(); }}),
                         store_factory_name);

// Runs `sql` on the database at `path` with the plain SQLite API, to set up states the store must handle.
void exec_sql(const fs::path& path, const char* sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
    std::string message = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << message;
}

TEST(sqlite_store, data_persists_after_reopening_the_same_file) {
    temp_dir dir;
    const auto file = dir.path() / "peershare.db";
    const std::string metadata("PSH1\0persist", 12);
    const auto id = resource_id::of_metadata(metadata);
    {
        auto store = make_sqlite_store(file);
        ASSERT_TRUE(store->put(id, metadata, 1000));
        ASSERT_TRUE(store->touch(id, 1500));
    }
    auto reopened = make_sqlite_store(file);
    EXPECT_EQ(reopened->count(), 1);
    auto r = reopened->get(id);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->metadata, metadata);
    EXPECT_EQ(r->created, 1000);
    EXPECT_EQ(r->last_seen, 1500);
    EXPECT_FALSE(reopened->put(id, metadata, 2000)) << "a reopened store knows the share";
}

TEST(sqlite_store, creates_the_database_file_when_missing) {
    temp_dir dir;
    const auto file = dir.path() / "new.db";
    ASSERT_FALSE(fs::exists(file));
    auto store = make_sqlite_store(file);
    EXPECT_TRUE(fs::exists(file));
    EXPECT_EQ(store->count(), 0);
}

TEST(sqlite_store, open_in_a_missing_directory_throws_store_error_naming_the_path) {
    temp_dir dir;
    const auto file = dir.path() / "no-such-dir" / "peershare.db";
    try {
        make_sqlite_store(file);
        FAIL() << "opened " << file;
    } catch (const store_error& e) {
        std::string what = e.what();
        EXPECT_NE(what.find(file.string()), std::string::npos) << what;
        EXPECT_NE(what.find("cannot open"), std::string::npos) << what;
    }
    EXPECT_FALSE(fs::exists(dir.path() / "no-such-dir")) << "the store does not create directories";
}

TEST(sqlite_store, open_below_a_regular_file_throws_store_error) {
    // Unwritable even for root, unlike a chmod-ed directory.
    temp_dir dir;
    const auto not_a_dir = dir.path() / "plain-file";
    std::ofstream(not_a_dir) << "x";
    try {
        make_sqlite_store(not_a_dir / "peershare.db");
        FAIL() << "opened a database below a regular file";
    } catch (const store_error& e) {
        EXPECT_NE(std::string(e.what()).find(not_a_dir.string()), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("(Not a directory)"), std::string::npos) << "the system's reason: " << e.what();
    }
}

TEST(sqlite_store, open_of_a_file_that_is_not_a_database_throws_store_error) {
    temp_dir dir;
    const auto file = dir.path() / "garbage.db";
    std::ofstream(file) << std::string(4096, 'g');
    EXPECT_THROW(make_sqlite_store(file), store_error);
}

TEST(sqlite_store, open_of_a_database_from_a_newer_schema_throws_store_error) {
    temp_dir dir;
    const auto file = dir.path() / "future.db";
    exec_sql(file, "PRAGMA user_version = 2");
    try {
        make_sqlite_store(file);
        FAIL() << "opened a database of schema 2";
    } catch (const store_error& e) {
        EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
    }
}

TEST(sqlite_store, two_stores_on_one_file_see_each_others_writes) {
    temp_dir dir;
    const auto file = dir.path() / "shared.db";
    auto a = make_sqlite_store(file);
    auto b = make_sqlite_store(file);
    const std::string metadata = "PSH1-shared";
    const auto id = resource_id::of_metadata(metadata);
    ASSERT_TRUE(a->put(id, metadata, 10));
    EXPECT_FALSE(b->put(id, metadata, 20));
    EXPECT_EQ(a->get(id)->last_seen, 20);
}

}  // namespace
}  // namespace peershare::test
