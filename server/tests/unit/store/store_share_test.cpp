// Covers store_share/load_share (store/resource_store.hpp) and prepare_data_dir (store/data_dir.hpp): a store
// that can read but not write (a full disk) still serves the shares it has; a bad data directory is named.
#include "peershare/store/data_dir.hpp"
#include "peershare/store/resource_store.hpp"

#include "store/memory_store.hpp"
#include "store/temp_dir.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace peershare::test {
namespace {

namespace fs = std::filesystem;

const std::string known_metadata = "PSH1-known";
const std::string new_metadata = "PSH1-new";
const resource_id known = resource_id::of_metadata(known_metadata);
const resource_id fresh = resource_id::of_metadata(new_metadata);

class store_share_test : public ::testing::Test {
protected:
    store_share_test() { EXPECT_TRUE(store_share(store, known, known_metadata, 100)); }
    memory_store store;
};

TEST_F(store_share_test, stores_a_new_share_and_reports_a_known_one) {
    EXPECT_TRUE(store_share(store, fresh, new_metadata, 200));
    EXPECT_FALSE(store_share(store, known, known_metadata, 300));
    EXPECT_EQ(store.get(known)->last_seen, 300) << "a known share's last_seen is raised";
    EXPECT_EQ(store.count(), 2);
}

TEST_F(store_share_test, on_a_full_disk_a_new_share_is_refused_with_store_error) {
    store.disk_full = true;
    EXPECT_THROW(store_share(store, fresh, new_metadata, 200), store_error);
    EXPECT_FALSE(store.get(fresh));
}

TEST_F(store_share_test, on_a_full_disk_a_known_share_still_counts_as_stored) {
    store.disk_full = true;
    EXPECT_FALSE(store_share(store, known, known_metadata, 300));
    auto r = store.get(known);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->metadata, known_metadata);
    EXPECT_EQ(r->last_seen, 100) << "not raised: the write failed, and nothing else changed";
}

TEST_F(store_share_test, load_share_raises_last_seen_of_a_known_share) {
    auto r = load_share(store, known, 300);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->metadata, known_metadata);
    EXPECT_EQ(store.get(known)->last_seen, 300);
    EXPECT_FALSE(load_share(store, fresh, 300));
}

TEST_F(store_share_test, on_a_full_disk_load_share_still_returns_a_known_share) {
    store.disk_full = true;
    auto r = load_share(store, known, 300);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->metadata, known_metadata);
    EXPECT_FALSE(load_share(store, fresh, 300));
}

TEST(prepare_data_dir, creates_missing_directories) {
    temp_dir dir;
    auto nested = dir.path() / "a" / "b";
    prepare_data_dir(nested);
    EXPECT_TRUE(fs::is_directory(nested));
    EXPECT_TRUE(fs::is_empty(nested)) << "the writability probe is removed";
    prepare_data_dir(nested);  // an existing directory is fine
}

TEST(prepare_data_dir, a_regular_file_is_refused_naming_the_path) {
    temp_dir dir;
    auto file = dir.path() / "plain-file";
    std::ofstream(file) << "x";
    try {
        prepare_data_dir(file);
        FAIL() << "accepted a regular file as the data directory";
    } catch (const store_error& e) {
        std::string what = e.what();
        EXPECT_NE(what.find(file.string()), std::string::npos) << what;
    }
}

}  // namespace
}  // namespace peershare::test
