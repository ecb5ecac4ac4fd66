// The resource store: durable share metadata with its creation and last-held times.
// Contract (server/tests/unit/store/store_contract.hpp checks it for every implementation):
// - calls block; the server makes them only from its store thread, never from a network thread;
// - one implementation object is used by one thread at a time;
// - every failure of the backing storage throws store_error, and leaves stored data as it was.
#pragma once

#include "peershare/core/ids.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace peershare {

struct resource_record {
    resource_id id;
    std::string metadata;        // the canonical bytes, which hash to id
    std::int64_t created = 0;    // Unix seconds
    std::int64_t last_seen = 0;  // Unix seconds: last time the share was known to have a holder
};

class store_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class resource_store {
public:
    virtual ~resource_store() = default;

    // Stores the metadata of `id` if absent (created = last_seen = now); if present, only raises
    // last_seen to now (never lowers it). Returns true when it was inserted. The caller has
    // verified the metadata.
    virtual bool put(const resource_id& id, std::string_view metadata, std::int64_t now) = 0;

    virtual std::optional<resource_record> get(const resource_id& id) = 0;

    // Raises last_seen to now (never lowers it); false when the share is unknown.
    virtual bool touch(const resource_id& id, std::int64_t now) = 0;

    // Sets last_seen = now for every share (used at start-up, so a restart never shortens a life).
    virtual void touch_all(std::int64_t now) = 0;

    // Up to `max` shares whose last_seen is before `cutoff`, oldest first.
    virtual std::vector<resource_id> stale(std::int64_t cutoff, std::size_t max) = 0;

    // Deletes the share if its last_seen is still before `cutoff`; true when deleted.
    virtual bool remove_if_stale(const resource_id& id, std::int64_t cutoff) = 0;

    virtual std::int64_t count() = 0;

    // Throws store_error when the storage does not answer.
    virtual void check() = 0;
};

// What the server does with a share a client announces or uploads, over any store.
//
// Stores verified metadata; true when the share is new. A share the store already has counts as
// stored even when raising its last_seen fails (a full disk refuses every write): nothing new has
// to be written for it, so a client re-announcing it is not refused. Throws store_error when a new
// share cannot be stored.
bool store_share(resource_store& store, const resource_id& id, std::string_view metadata, std::int64_t now);

// The stored share, with last_seen raised to now on a best-effort basis: a failed raise is logged,
// not thrown (the share is served all the same, and last_seen is raised again when its swarm
// empties). std::nullopt when unknown; throws store_error when the share cannot be read.
std::optional<resource_record> load_share(resource_store& store, const resource_id& id, std::int64_t now);

// Opens (creating if needed) the SQLite database at `path`.
std::unique_ptr<resource_store> make_sqlite_store(const std::filesystem::path& path);

}  // namespace peershare
