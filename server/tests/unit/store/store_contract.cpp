// Covers the resource_store contract: put, get, touch, touch_all, stale, remove_if_stale, count and check, for every implementation that instantiates it.
#include "store/store_contract.hpp"

#include "test_support.hpp"

namespace peershare::test {

// --- put and get ---

TEST_P(resource_store_contract, starts_empty) {
    EXPECT_EQ(store->count(), 0);
    EXPECT_FALSE(store->get(id_of(1)).has_value());
}

TEST_P(resource_store_contract, put_of_a_new_share_returns_true_and_stores_it_with_created_and_last_seen_now) {
    EXPECT_TRUE(put(1, 1000));
    auto r = store->get(id_of(1));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->id, id_of(1));
    EXPECT_EQ(r->metadata, metadata(1));
    EXPECT_EQ(r->created, 1000);
    EXPECT_EQ(r->last_seen, 1000);
    EXPECT_EQ(store->count(), 1);
}

TEST_P(resource_store_contract, get_returns_the_metadata_bytes_exactly) {
    std::string bytes;
    for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
    bytes += bytes;
    auto id = resource_id::of_metadata(bytes);
    ASSERT_TRUE(store->put(id, bytes, 5));
    auto r = store->get(id);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->metadata.size(), 512u);
    EXPECT_EQ(r->metadata, bytes);
}

TEST_P(resource_store_contract, put_of_a_known_share_returns_false_keeps_created_and_raises_last_seen) {
    ASSERT_TRUE(put(1, 1000));
    EXPECT_FALSE(put(1, 2000));
    auto r = store->get(id_of(1));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->created, 1000);
    EXPECT_EQ(r->last_seen, 2000);
    EXPECT_EQ(r->metadata, metadata(1));
    EXPECT_EQ(store->count(), 1);
}

TEST_P(resource_store_contract, get_of_an_unknown_share_is_empty) {
    put(1, 1000);
    EXPECT_FALSE(store->get(id_of(2)).has_value());
}

TEST_P(resource_store_contract, shares_are_independent) {
    put(1, 1000);
    put(2, 2000);
    EXPECT_EQ(store->get(id_of(1))->metadata, metadata(1));
    EXPECT_EQ(store->get(id_of(2))->metadata, metadata(2));
    EXPECT_EQ(last_seen(1), 1000);
    EXPECT_EQ(last_seen(2), 2000);
    EXPECT_EQ(store->count(), 2);
}

// --- touch ---

TEST_P(resource_store_contract, touch_of_a_known_share_sets_last_seen_and_returns_true) {
    put(1, 1000);
    put(2, 1000);
    EXPECT_TRUE(store->touch(id_of(1), 1500));
    EXPECT_EQ(last_seen(1), 1500);
    EXPECT_EQ(created(1), 1000);
    EXPECT_EQ(last_seen(2), 1000) << "only the touched share changes";
}

TEST_P(resource_store_contract, touch_and_put_never_lower_last_seen) {
    put(1, 2000);
    EXPECT_TRUE(store->touch(id_of(1), 1500));
    EXPECT_EQ(last_seen(1), 2000);
    put(1, 1200);
    EXPECT_EQ(last_seen(1), 2000);
}

TEST_P(resource_store_contract, touch_of_an_unknown_share_returns_false_and_creates_nothing) {
    put(1, 1000);
    EXPECT_FALSE(store->touch(id_of(2), 1500));
    EXPECT_FALSE(store->get(id_of(2)).has_value());
    EXPECT_EQ(store->count(), 1);
}

// --- touch_all ---

TEST_P(resource_store_contract, touch_all_raises_every_older_last_seen_to_now) {
    put(1, 100);
    put(2, 200);
    store->touch_all(500);
    EXPECT_EQ(last_seen(1), 500);
    EXPECT_EQ(last_seen(2), 500);
    EXPECT_EQ(created(1), 100) << "created is kept";
    EXPECT_EQ(created(2), 200);
}

TEST_P(resource_store_contract, touch_all_never_lowers_a_last_seen) {
    put(1, 100);
    put(2, 900);
    store->touch_all(500);
    EXPECT_EQ(last_seen(1), 500);
    EXPECT_EQ(last_seen(2), 900);
}

TEST_P(resource_store_contract, touch_all_on_an_empty_store_does_nothing) {
    store->touch_all(500);
    EXPECT_EQ(store->count(), 0);
}

// --- stale ---

TEST_P(resource_store_contract, stale_lists_shares_last_seen_strictly_before_the_cutoff_oldest_first) {
    put(1, 300);
    put(2, 100);
    put(3, 500);
    put(4, 200);
    EXPECT_EQ(store->stale(400, 10), (std::vector{id_of(2), id_of(4), id_of(1)}));
    EXPECT_EQ(store->stale(300, 10), (std::vector{id_of(2), id_of(4)})) << "last_seen == cutoff is not stale";
    EXPECT_EQ(store->stale(100, 10), std::vector<resource_id>{});
    EXPECT_EQ(store->stale(1000, 10).size(), 4u);
}

TEST_P(resource_store_contract, stale_returns_at_most_max_oldest_first) {
    for (int n = 1; n <= 5; ++n) put(n, 1000 - n * 10);  // share 5 is the oldest
    EXPECT_EQ(store->stale(2000, 2), (std::vector{id_of(5), id_of(4)}));
    EXPECT_EQ(store->stale(2000, 1), (std::vector{id_of(5)}));
}

TEST_P(resource_store_contract, stale_follows_touches) {
    put(1, 100);
    put(2, 200);
    store->touch(id_of(1), 300);
    EXPECT_EQ(store->stale(250, 10), (std::vector{id_of(2)}));
}

TEST_P(resource_store_contract, stale_does_not_remove_anything) {
    put(1, 100);
    store->stale(1000, 10);
    EXPECT_EQ(store->count(), 1);
}

// --- remove_if_stale ---

TEST_P(resource_store_contract, remove_if_stale_deletes_a_share_still_stale) {
    put(1, 100);
    put(2, 100);
    EXPECT_TRUE(store->remove_if_stale(id_of(1), 200));
    EXPECT_FALSE(store->get(id_of(1)).has_value());
    EXPECT_TRUE(store->get(id_of(2)).has_value()) << "only the named share is removed";
    EXPECT_EQ(store->count(), 1);
}

TEST_P(resource_store_contract, remove_if_stale_keeps_a_share_touched_since_it_was_listed) {
    put(1, 100);
    auto listed = store->stale(200, 10);
    ASSERT_EQ(listed, (std::vector{id_of(1)}));
    store->touch(id_of(1), 250);  // a holder came back between the listing and the removal
    EXPECT_FALSE(store->remove_if_stale(id_of(1), 200));
    EXPECT_TRUE(store->get(id_of(1)).has_value());
}

TEST_P(resource_store_contract, remove_if_stale_keeps_a_share_seen_at_the_cutoff) {
    put(1, 200);
    EXPECT_FALSE(store->remove_if_stale(id_of(1), 200));
    EXPECT_EQ(store->count(), 1);
}

TEST_P(resource_store_contract, remove_if_stale_of_an_unknown_share_returns_false) {
    put(1, 100);
    EXPECT_FALSE(store->remove_if_stale(id_of(2), 200));
    EXPECT_EQ(store->count(), 1);
}

TEST_P(resource_store_contract, removed_share_can_be_stored_again_as_new) {
    put(1, 100);
    ASSERT_TRUE(store->remove_if_stale(id_of(1), 200));
    EXPECT_TRUE(put(1, 300));
    EXPECT_EQ(created(1), 300);
}

// --- count and check ---

TEST_P(resource_store_contract, count_follows_inserts_and_removals) {
    EXPECT_EQ(store->count(), 0);
    for (int n = 1; n <= 3; ++n) put(n, 100);
    put(1, 200);  // already known: not counted twice
    EXPECT_EQ(store->count(), 3);
    store->remove_if_stale(id_of(2), 150);
    EXPECT_EQ(store->count(), 2);
}

TEST_P(resource_store_contract, check_succeeds_on_a_working_store) {
    EXPECT_NO_THROW(store->check());
    put(1, 100);
    EXPECT_NO_THROW(store->check());
}

}  // namespace peershare::test
