// The server's use of a resource store: storing announced shares and loading known ones, tolerant
// of a store that can read but not write (a full disk).
#include "peershare/store/resource_store.hpp"

#include "peershare/core/log.hpp"

namespace peershare {
namespace {

void warn_last_seen_kept(const resource_id& id, const store_error& e) {
    PS_LOG(warn, "store: cannot raise last_seen of " << id.str() << " (" << e.what() << "); the share stays stored");
}

}  // namespace

bool store_share(resource_store& store, const resource_id& id, std::string_view metadata, std::int64_t now) {
    try {
        return store.put(id, metadata, now);
    } catch (const store_error& e) {
        if (!store.get(id)) throw;  // a new share that could not be stored
        warn_last_seen_kept(id, e);
        return false;
    }
}

std::optional<resource_record> load_share(resource_store& store, const resource_id& id, std::int64_t now) {
    auto record = store.get(id);
    if (!record) return record;
    try {
        store.touch(id, now);
    } catch (const store_error& e) {
        warn_last_seen_kept(id, e);
    }
    return record;
}

}  // namespace peershare
