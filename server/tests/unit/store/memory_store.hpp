// A resource_store in memory, for unit tests of the logic above the store (the sweeper,
// store_share/load_share): it passes the same contract suite as the real stores
// (memory_store_test.cpp), can be made to fail wholly or only for writes (a full disk), and lets a
// test act between two of its calls (as another instance sharing the store would).
#pragma once

#include "peershare/store/resource_store.hpp"

#include <algorithm>
#include <functional>
#include <map>

namespace peershare::test {

class memory_store final : public resource_store {
public:
    // When set, every call throws store_error (the disk is gone).
    bool failing = false;
    // When set, every call that writes throws store_error as SQLite's do on a full disk; reads work.
    bool disk_full = false;
    // Runs after each stale() call, before it returns (another instance raising a last_seen, say).
    std::function<void()> after_stale;

    bool put(const resource_id& id, std::string_view metadata, std::int64_t now) override {
        fail_if_failing();
        fail_if_full();
        auto it = records_.find(id);
        if (it != records_.end()) {
            it->second.last_seen = std::max(it->second.last_seen, now);
            return false;
        }
        records_.emplace(id, resource_record{id, std::string(metadata), now, now});
        return true;
    }
    std::optional<resource_record> get(const resource_id& id) override {
        fail_if_failing();
        auto it = records_.find(id);
        if (it == records_.end()) return std::nullopt;
        return it->second;
    }
    bool touch(const resource_id& id, std::int64_t now) override {
        fail_if_failing();
        fail_if_full();
        auto it = records_.find(id);
        if (it == records_.end()) return false;
        it->second.last_seen = std::max(it->second.last_seen, now);
        return true;
    }
    void touch_all(std::int64_t now) override {
        fail_if_failing();
        fail_if_full();
        for (auto& [id, r] : records_) r.last_seen = std::max(r.last_seen, now);
    }
    std::vector<resource_id> stale(std::int64_t cutoff, std::size_t max) override {
        fail_if_failing();
        std::vector<const resource_record*> old;
        for (const auto& [id, r] : records_)
            if (r.last_seen < cutoff) old.push_back(&r);
        std::sort(old.begin(), old.end(), [](auto* a, auto* b) {
            return a->last_seen != b->last_seen ? a->last_seen < b->last_seen : a->id < b->id;
        });
        std::vector<resource_id> out;
        for (std::size_t i = 0; i < old.size() && i < max; ++i) out.push_back(old[i]->id);
        if (after_stale) after_stale();
        return out;
    }
    bool remove_if_stale(const resource_id& id, std::int64_t cutoff) override {
        fail_if_failing();
        fail_if_full();
        auto it = records_.find(id);
        if (it == records_.end() || it->second.last_seen >= cutoff) return false;
        records_.erase(it);
        return true;
    }
    std::int64_t count() override {
        fail_if_failing();
        return static_cast<std::int64_t>(records_.size());
    }
    void check() override { fail_if_failing(); }

private:
    void fail_if_failing() const {
        if (failing) throw store_error("the test's store fails");
    }
    void fail_if_full() const {
        if (disk_full) throw store_error("sqlite step: database or disk is full");
    }
    std::map<resource_id, resource_record> records_;
};

}  // namespace peershare::test
