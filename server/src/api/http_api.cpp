// REST API handlers.
#include "peershare/api/http_api.hpp"

#include "peershare/core/log.hpp"
#include "peershare/core/metadata.hpp"

#include <nlohmann/json.hpp>

namespace peershare::api {
namespace {

using json = nlohmann::json;

reply json_reply(unsigned status, const json& j) {
    reply r;
    r.status = status;
    r.body = j.dump();
    return r;
}

}  // namespace

unsigned http_status_of(errc code) noexcept {
    switch (code) {
    case errc::ok: return 200;
    case errc::not_found: return 404;
    case errc::method_not_allowed: return 405;
    case errc::metadata_too_large: return 413;
    case errc::metadata_mismatch: return 422;
    case errc::rate_limited: return 429;
    case errc::store_unavailable: return 503;
    case errc::internal: return 500;
    default: return 400;
    }
}

reply error_reply(errc code, std::string_view message) {
    return json_reply(http_status_of(code),
                      json{{"error", {{"code", code_name(code)}, {"message", message.empty() ? describe(code) : message}}}});
}

reply healthz(resource_store& store) {
    try {
        store.check();
        return json_reply(200, json{{"status", "ok"}});
    } catch (const store_error& e) {
        PS_LOG(warn, "health check: store failed: " << e.what());
        return json_reply(503, json{{"status", "store_unavailable"}});
    }
}

reply resource_info(resource_store& store, const tracker& t, std::string_view id_param) {
    auto id = resource_id::parse(id_param);
    if (!id) return error_reply(errc::bad_resource_id);
    auto record = store.get(*id);
    if (!record) return error_reply(errc::not_found);
    auto parsed = metadata::parse(record->metadata);
    if (auto* bad = std::get_if<metadata::parse_error>(&parsed)) {
        PS_LOG(error, "stored metadata of " << id->str() << " does not parse: " << bad->message);
        return error_reply(errc::internal);
    }
    const auto& s = std::get<metadata::share>(parsed);
    json files = json::array();
    for (const auto& f : s.files) files.push_back({{"path", f.path}, {"size", f.size}});
    auto holders = t.holders(*id);
    return json_reply(200, json{{"id", id->str()},
                                {"name", s.name},
                                {"size", s.total_size()},
                                {"piece_size", s.piece_size},
                                {"piece_count", s.piece_hashes.size()},
                                {"files", std::move(files)},
                                {"holders", holders.holders},
                                {"complete_holders", holders.complete},
                                {"created", record->created},
                                {"last_seen", record->last_seen}});
}

reply metadata_get(resource_store& store, std::string_view id_param) {
    auto id = resource_id::parse(id_param);
    if (!id) return error_reply(errc::bad_resource_id);
    auto record = store.get(*id);
    if (!record) return error_reply(errc::not_found);
    reply r;
    r.content_type = "application/octet-stream";
    r.body = std::move(record->metadata);
    r.cache_control = "public, max-age=31536000, immutable";  // content-addressed: never changes
    return r;
}

reply metadata_put(resource_store& store, std::string_view id_param, std::string_view body, std::int64_t now,
                   bool& inserted) {
    inserted = false;
    auto id = resource_id::parse(id_param);
    if (!id) return error_reply(errc::bad_resource_id);
    auto parsed = metadata::parse(body);
    if (auto* bad = std::get_if<metadata::parse_error>(&parsed)) return error_reply(bad->code, bad->message);
    if (resource_id::of_metadata(body) != *id) return error_reply(errc::metadata_mismatch);
    inserted = store_share(store, *id, body, now);
    return json_reply(inserted ? 201 : 200, json{{"id", id->str()}, {"created", inserted}});
}

reply stats(const stats_input& in) {
    return json_reply(200, json{{"connections", in.connections},
                                {"peers", in.counts.peers},
                                {"swarms", in.counts.swarms},
                                {"peers_in_swarms", in.counts.memberships},
                                {"negotiations", in.counts.negotiations},
                                {"resources", in.resources},
                                {"uptime_seconds", in.uptime_seconds},
                                {"version", in.version}});
}

reply metrics_text(const metrics& m, const metrics::gauges& g) {
    reply r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = m.render(g);
    return r;
}

}  // namespace peershare::api
