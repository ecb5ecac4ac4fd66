// Fuzz target of the REST handlers that take client bytes: api::metadata_put, then metadata_get and resource_info.
#include "fuzz_check.hpp"

#include "peershare/api/http_api.hpp"
#include "peershare/core/metadata.hpp"

#include <nlohmann/json.hpp>

#include <map>

namespace {

using namespace peershare;
using fuzz::check;
using json = nlohmann::json;

// Just enough of a resource_store for the handlers: put and get; the rest is never called.
class memory_store final : public resource_store {
public:
    bool put(const resource_id& id, std::string_view metadata, std::int64_t now) override {
        return records_.try_emplace(id.str(), resource_record{id, std::string(metadata), now, now}).second;
    }
    std::optional<resource_record> get(const resource_id& id) override {
        auto it = records_.find(id.str());
        if (it == records_.end()) return std::nullopt;
        return it->second;
    }
    bool touch(const resource_id&, std::int64_t) override { return unused(); }
    void touch_all(std::int64_t) override { unused(); }
    std::vector<resource_id> stale(std::int64_t, std::size_t) override { return unused(), std::vector<resource_id>{}; }
    bool remove_if_stale(const resource_id&, std::int64_t) override { return unused(); }
    std::int64_t count() override { return static_cast<std::int64_t>(records_.size()); }
    void check() override {}

private:
    static bool unused() {
        fuzz::check(false, "the handlers under test call only put and get");
        return false;
    }
    std::map<std::string, resource_record> records_;
};

// Every reply but the raw metadata is a JSON object; an error reply names a code and has the
// status that code maps to.
json json_of(const api::reply& r) {
    check(r.content_type == "application/json", "a handler's reply is JSON");
    json j = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    check(j.is_object(), "a handler's reply is a JSON object");
    if (r.status < 400) return j;
    const json& code = j["error"]["code"];
    bool known = false;
    for (int e = 1; e < errc_count; ++e)
        if (code == code_name(static_cast<errc>(e))) {
            known = true;
            check(r.status == api::http_status_of(static_cast<errc>(e)), "an error reply's status fits its code");
        }
    check(known, "an error reply names a known code");
    return j;
}

}  // namespace

// Input: one flag byte, then the body of a PUT. With flag bit 0 set, the id in the URL is the
// body's first 64 bytes and the body the rest; otherwise the URL names the body's SHA-256, which
// mutation alone would never produce.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input = fuzz::bytes(data, size);
    if (input.empty()) return 0;
    const bool own_id = (input[0] & 1) != 0;
    input.remove_prefix(1);
    std::string id_param;
    if (own_id) {
        id_param = std::string(input.substr(0, resource_id::hex_length));
        input.remove_prefix(id_param.size());
    } else {
        id_param = resource_id::of_metadata(input).str();
    }
    const std::string_view body = input;

    memory_store store;
    const std::int64_t now = 1'700'000'000;
    bool inserted = false;
    const api::reply put = api::metadata_put(store, id_param, body, now, inserted);
    json_of(put);

    const auto parsed = metadata::parse(body);
    const bool valid = std::holds_alternative<metadata::share>(parsed);
    const bool id_matches = id_param == resource_id::of_metadata(body).str();
    check(inserted == (valid && id_matches), "metadata is stored exactly when it is valid and hashes to its id");
    check(inserted ? put.status == 201 : put.status >= 400, "a stored upload answers 201, a refused one an error");

    const api::reply got = api::metadata_get(store, id_param);
    static const tracker no_swarms{limits{}};
    const api::reply info = api::resource_info(store, no_swarms, id_param);
    if (!inserted) {
        check(got.status == 404 || got.status == 400, "unstored metadata is not found (or the id is bad)");
        check(json_of(info)["error"].is_object(), "unstored metadata has no info");
        return 0;
    }
    check(got.status == 200 && got.body == body, "stored metadata reads back byte for byte");

    const auto& s = std::get<metadata::share>(parsed);
    json j = json_of(info);
    check(info.status == 200, "a stored share has info");
    check(j["id"] == id_param && j["name"] == s.name, "info names the share");
    check(j["size"] == s.total_size() && j["piece_count"] == s.piece_hashes.size(), "info gives the share's sizes");
    check(j["files"].size() == s.files.size(), "info lists every file");

    const api::reply again = api::metadata_put(store, id_param, body, now + 1, inserted);
    check(!inserted && again.status == 200, "a second upload of the same metadata is not stored again");
    return 0;
}
