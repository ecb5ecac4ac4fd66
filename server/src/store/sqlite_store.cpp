// The SQLite implementation of resource_store: one database file in the data directory, WAL
// journal so that a killed process never leaves a corrupt or half-written database.
#include "peershare/store/resource_store.hpp"

#include <sqlite3.h>

#include <cstring>
#include <string>

namespace peershare {
namespace {

constexpr int schema_version = 1;
constexpr int busy_timeout_ms = 5000;  // another process holding the file (a backup) may block us briefly

// SQLite's message, with the system's reason when a file operation failed, e.g. "database or disk
// is full (No space left on device)" or "unable to open database file (Read-only file system)".
std::string describe_error(sqlite3* db, const char* message) {
    std::string why = message;
    int code = sqlite3_errcode(db) & 0xff;
    if (code == SQLITE_IOERR || code == SQLITE_FULL || code == SQLITE_CANTOPEN || code == SQLITE_READONLY) {
        if (int err = sqlite3_system_errno(db); err != 0) why += std::string(" (") + std::strerror(err) + ")";
    }
    return why;
}

class statement {
public:
    statement(sqlite3* db, const char* sql) : db_(db) {
        if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) fail("prepare");
    }
    ~statement() { sqlite3_finalize(stmt_); }
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;

    statement& bind(int i, std::string_view text) {
        check(sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT), "bind");
        return *this;
    }
    statement& bind_blob(int i, std::string_view bytes) {
        check(sqlite3_bind_blob(stmt_, i, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT), "bind");
        return *this;
    }
    statement& bind(int i, std::int64_t v) {
        check(sqlite3_bind_int64(stmt_, i, v), "bind");
        return *this;
    }
    // True while a row is available.
    bool step() {
        int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        fail("step");
    }
    void run() {
        while (step()) {
        }
    }
    std::int64_t int64(int col) { return sqlite3_column_int64(stmt_, col); }
    std::string text(int col) {
        auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
    }
    std::string blob(int col) {
        auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
    }
    int changes() const { return sqlite3_changes(db_); }

private:
    void check(int rc, const char* what) {
        if (rc != SQLITE_OK) fail(what);
    }
    [[noreturn]] void fail(const char* what) {
        throw store_error(std::string("sqlite ") + what + ": " + describe_error(db_, sqlite3_errmsg(db_)));
    }
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

class sqlite_store final : public resource_store {
public:
    explicit sqlite_store(const std::filesystem::path& path) {
        int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
        if (rc != SQLITE_OK) {
            std::string why = db_ ? describe_error(db_, sqlite3_errmsg(db_)) : "out of memory";
            sqlite3_close(db_);
            throw store_error("cannot open " + path.string() + ": " + why);
        }
        sqlite3_busy_timeout(db_, busy_timeout_ms);
        try {
            // SQLite falls back to read-only when it may not write the file; the server must write.
            if (sqlite3_db_readonly(db_, "main") == 1) throw store_error(path.string() + " is read-only");
            exec("PRAGMA journal_mode=WAL");
            exec("PRAGMA synchronous=NORMAL");  // with WAL: durable across process crashes
            migrate();
        } catch (...) {
            sqlite3_close(db_);
            throw;
        }
    }
    ~sqlite_store() override { sqlite3_close(db_); }

    bool put(const resource_id& id, std::string_view metadata, std::int64_t now) override {
        statement ins(db_,
                      "INSERT INTO resources(id, metadata, created, last_seen) VALUES(?1, ?2, ?3, ?3) "
                      "ON CONFLICT(id) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)");
        // changes() is 1 for both paths; tell them apart by whether it existed before.
        bool existed = exists(id);
        ins.bind(1, id.str()).bind_blob(2, metadata).bind(3, now).run();
        return !existed;
    }

    std::optional<resource_record> get(const resource_id& id) override {
        statement q(db_, "SELECT metadata, created, last_seen FROM resources WHERE id = ?1");
        q.bind(1, id.str());
        if (!q.step()) return std::nullopt;
        return resource_record{id, q.blob(0), q.int64(1), q.int64(2)};
    }

    bool touch(const resource_id& id, std::int64_t now) override {
        statement q(db_, "UPDATE resources SET last_seen = max(last_seen, ?2) WHERE id = ?1");
        q.bind(1, id.str()).bind(2, now).run();
        return exists(id);
    }

    void touch_all(std::int64_t now) override {
        statement q(db_, "UPDATE resources SET last_seen = ?1 WHERE last_seen < ?1");
        q.bind(1, now).run();
    }

    std::vector<resource_id> stale(std::int64_t cutoff, std::size_t max) override {
        statement q(db_, "SELECT id FROM resources WHERE last_seen < ?1 ORDER BY last_seen LIMIT ?2");
        q.bind(1, cutoff).bind(2, static_cast<std::int64_t>(max));
        std::vector<resource_id> out;
        while (q.step())
            if (auto id = resource_id::parse(q.text(0))) out.push_back(std::move(*id));
        return out;
    }

    bool remove_if_stale(const resource_id& id, std::int64_t cutoff) override {
        statement q(db_, "DELETE FROM resources WHERE id = ?1 AND last_seen < ?2");
        q.bind(1, id.str()).bind(2, cutoff).run();
        return q.changes() > 0;
    }

    std::int64_t count() override {
        statement q(db_, "SELECT count(*) FROM resources");
        q.step();
        return q.int64(0);
    }

    void check() override {
        statement q(db_, "SELECT 1");
        q.step();
    }

private:
    bool exists(const resource_id& id) {
        statement q(db_, "SELECT 1 FROM resources WHERE id = ?1");
        q.bind(1, id.str());
        return q.step();
    }

    void exec(const char* sql) {
        char* err = nullptr;
        if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
            std::string why = describe_error(db_, err ? err : "unknown error");
            sqlite3_free(err);
            throw store_error(std::string("sqlite: ") + why);
        }
    }

    void migrate() {
        statement v(db_, "PRAGMA user_version");
        v.step();
        auto version = v.int64(0);
        if (version > schema_version)
            throw store_error("the database was written by a newer peershare (schema " + std::to_string(version) + ")");
        if (version < 1) {
            exec("BEGIN");
            exec("CREATE TABLE IF NOT EXISTS resources ("
                 " id TEXT PRIMARY KEY,"
                 " metadata BLOB NOT NULL,"
                 " created INTEGER NOT NULL,"
                 " last_seen INTEGER NOT NULL)");
            exec("CREATE INDEX IF NOT EXISTS resources_last_seen ON resources(last_seen)");
            exec("PRAGMA user_version = 1");
            exec("COMMIT");
        }
    }

    sqlite3* db_ = nullptr;
};

}  // namespace

std::unique_ptr<resource_store> make_sqlite_store(const std::filesystem::path& path) {
    return std::make_unique<sqlite_store>(path);
}

}  // namespace peershare
