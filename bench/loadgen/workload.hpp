// The load generator's messages for each tracker it drives, and how it recognises their answers.
// Pure: strings in, strings out; no sockets.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace peershare::loadgen {

enum class tracker_kind { peershare, bittorrent };

// What one operation of the workload is.
enum class op_kind { announce, lookup, relay };
inline constexpr int op_kinds = 3;
std::string_view name_of(op_kind k) noexcept;

// What a frame from the tracker is, as far as the load generator cares.
enum class frame_kind {
    welcome,     // peershare: the first frame, carrying the peer id
    response,    // the answer to an announce or lookup
    error,       // a refusal (peershare `error`, bittorrent-tracker `failure reason`)
    signal,      // peershare: a relayed signal
    other,       // a push the workload does not wait for (peer_joined, peer_left, ...)
};

frame_kind classify(tracker_kind tracker, std::string_view frame) noexcept;

// peershare: the `peer` of a welcome, the `from` of a signal, the timestamp the sender put in a
// signal's data (nanoseconds of the load generator's steady clock).
std::optional<std::string> welcome_peer(std::string_view frame);
std::optional<std::string> signal_from(std::string_view frame);
std::optional<std::int64_t> signal_sent_at(std::string_view frame);

// peershare messages (docs/protocol.md §2.2).
std::string announce_message(std::string_view resource, std::string_view metadata_base64);
std::string lookup_message(std::string_view resource);
std::string signal_message(std::string_view resource, std::string_view to, bool offer, std::int64_t sent_at);

// bittorrent-tracker's WebSocket announce (WebTorrent): info_hash and peer_id are 20-character
// strings; no offers, so it answers with the swarm's counts and forwards nothing.
std::string bittorrent_announce(std::string_view info_hash, std::string_view peer_id, bool first);

// A fake share for the load: valid metadata (docs/protocol.md §1) and its id.
struct fake_share {
    std::string id;               // 64 hex digits
    std::string metadata_base64;  // standard base64
};
fake_share make_fake_share(std::uint32_t index);

// A 20-character identifier for bittorrent-tracker (printable, so JSON carries it as is).
std::string bittorrent_id(char prefix, std::uint32_t index);

}  // namespace peershare::loadgen
