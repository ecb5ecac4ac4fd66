// The load generator's messages and frame classification (see workload.hpp).
#include "workload.hpp"

#include "peershare/core/encoding.hpp"
#include "peershare/core/ids.hpp"
#include "peershare/core/metadata.hpp"

#include <charconv>
#include <cstdio>

namespace peershare::loadgen {
namespace {

// The string value of `"key":"…"` in a flat JSON frame (no escapes in the values we read).
std::optional<std::string> string_field(std::string_view frame, std::string_view key) {
    std::string pattern = "\"" + std::string(key) + "\":\"";
    auto at = frame.find(pattern);
    if (at == std::string_view::npos) return std::nullopt;
    auto start = at + pattern.size();
    auto end = frame.find('"', start);
    if (end == std::string_view::npos) return std::nullopt;
    return std::string(frame.substr(start, end - start));
}

}  // namespace

std::string_view name_of(op_kind k) noexcept {
    switch (k) {
        case op_kind::announce: return "announce";
        case op_kind::lookup: return "lookup";
        case op_kind::relay: return "relay";
    }
    return "?";
}

frame_kind classify(tracker_kind tracker, std::string_view frame) noexcept {
    if (tracker == tracker_kind::bittorrent) {
        if (frame.find("\"failure reason\"") != std::string_view::npos) return frame_kind::error;
        if (frame.find("\"offer\"") != std::string_view::npos) return frame_kind::other;
        return frame.find("\"action\":\"announce\"") != std::string_view::npos ? frame_kind::response : frame_kind::other;
    }
    // The server writes keys in order, so the top-level "type" is the frame's last key.
    auto at = frame.rfind(R"("type":")");
    if (at == std::string_view::npos) return frame_kind::other;
    auto type = frame.substr(at + 8);
    type = type.substr(0, type.find('"'));
    if (type == "announced" || type == "lookup_result") return frame_kind::response;
    if (type == "signal") return frame_kind::signal;
    if (type == "error") return frame_kind::error;
    if (type == "welcome") return frame_kind::welcome;
    return frame_kind::other;
}

std::optional<std::string> welcome_peer(std::string_view frame) { return string_field(frame, "peer"); }
std::optional<std::string> signal_from(std::string_view frame) { return string_field(frame, "from"); }

std::optional<std::int64_t> signal_sent_at(std::string_view frame) {
    constexpr std::string_view pattern = R"("data":{"t":)";
    auto at = frame.find(pattern);
    if (at == std::string_view::npos) return std::nullopt;
    std::int64_t value = 0;
    auto first = frame.data() + at + pattern.size();
    auto [ptr, ec] = std::from_chars(first, frame.data() + frame.size(), value);
    if (ec != std::errc{} || ptr == first) return std::nullopt;
    return value;
}

std::string announce_message(std::string_view resource, std::string_view metadata_base64) {
    std::string m = R"({"type":"announce","id":1,"resource":")";
    m += resource;
    m += R"(","complete":true)";
    if (!metadata_base64.empty()) {
        m += R"(,"metadata":")";
        m += metadata_base64;
        m += '"';
    }
    m += '}';
    return m;
}

std::string lookup_message(std::string_view resource) {
    return std::string(R"({"type":"lookup","id":2,"resource":")") + std::string(resource) + "\"}";
}

std::string signal_message(std::string_view resource, std::string_view to, bool offer, std::int64_t sent_at) {
    std::string m = R"({"type":"signal","resource":")";
    m += resource;
    m += R"(","to":")";
    m += to;
    m += offer ? R"(","kind":"offer","data":{"t":)" : R"(","kind":"candidate","data":{"t":)";
    m += std::to_string(sent_at);
    m += "}}";
    return m;
}

std::string bittorrent_announce(std::string_view info_hash, std::string_view peer_id, bool first) {
    std::string m = R"({"action":"announce","info_hash":")";
    m += info_hash;
    m += R"(","peer_id":")";
    m += peer_id;
    m += R"(","numwant":0,"uploaded":0,"downloaded":0,"left":0)";
    if (first) m += R"(,"event":"started")";
    m += '}';
    return m;
}

fake_share make_fake_share(std::uint32_t index) {
    metadata::share s;
    s.name = "load-" + std::to_string(index);
    s.piece_size = metadata::min_piece_size;
    s.files.push_back({"load-" + std::to_string(index) + ".bin", metadata::min_piece_size});
    sha256_digest hash{};
    for (std::size_t i = 0; i < 4; ++i) hash[i] = static_cast<unsigned char>(index >> (8 * i));
    s.piece_hashes.push_back(hash);
    auto bytes = metadata::serialize(s);
    return {resource_id::of_metadata(bytes).str(), to_base64(bytes)};
}

std::string bittorrent_id(char prefix, std::uint32_t index) {
    char buffer[21];
    std::snprintf(buffer, sizeof buffer, "%c%019u", prefix, index);
    return std::string(buffer, 20);
}

}  // namespace peershare::loadgen
