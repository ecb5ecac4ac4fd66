// The signaling protocol's messages (docs/protocol.md §2): a sans-io parser that turns one text
// frame into a validated client message or a typed failure, and writers for every server message.
#pragma once

#include "peershare/core/errors.hpp"
#include "peershare/core/ids.hpp"
#include "peershare/core/limits.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace peershare::signaling {

inline constexpr int protocol_version = 1;
inline constexpr std::size_t max_request_id_chars = 64;  // an opaque correlation tag, not data

// The client's correlation id, echoed in replies; monostate when the message had none.
using request_id = std::variant<std::monostate, std::uint64_t, std::string>;

struct announce {
    resource_id resource;
    bool complete = false;
    std::optional<std::string> metadata;  // decoded bytes, when the client sent them
};
struct lookup {
    resource_id resource;
};
struct leave {
    resource_id resource;
};
enum class signal_kind { offer, answer, candidate };
struct signal {
    resource_id resource;
    peer_id to;
    signal_kind kind;
    std::string data_json;  // the client's `data` value, re-serialized compactly
};

// Asks for fresh ICE servers (TURN credentials expire).
struct ice_refresh {};

using body = std::variant<announce, lookup, signal, leave, ice_refresh>;

struct client_message {
    request_id id;
    body payload;
};

struct parse_failure {
    errc code;
    std::string message;
    request_id id;  // set when the frame was parsed far enough to read it
};

std::variant<client_message, parse_failure> parse(std::string_view text, const limits& lim);

// The request id of a frame that is not handled (the rate limit refused it), so that the error can
// name the request; monostate when the frame is not a JSON object with a valid `id`. Reads only the
// top-level members, with the same limits as parse().
request_id peek_id(std::string_view text, const limits& lim);

// Message types, for metrics labels.
enum class client_type { announce, lookup, signal, leave, ice, invalid, count };
enum class server_type { welcome, announced, lookup_result, left, signal, peer_joined, peer_left, ice_servers, error, count };
std::string_view name_of(client_type t) noexcept;
std::string_view name_of(server_type t) noexcept;
client_type type_of(const body& b) noexcept;
std::string_view name_of(signal_kind k) noexcept;

// Writers of server messages; each returns one JSON text frame.
struct peer_entry {
    peer_id peer;
    bool complete = false;
};

// What `welcome` and `ice_servers` tell a client about ICE (see app/config.hpp ice_for).
struct ice_view {
    std::string_view servers_json;      // an RTCIceServer array
    std::string_view transport_policy;  // "all" or "relay"
    std::int64_t expires = 0;           // Unix seconds when TURN credentials expire; 0: none
};

std::string write_welcome(const peer_id& self, const ice_view& ice, const limits& lim);
std::string write_ice_servers(const request_id& id, const ice_view& ice);
std::string write_announced(const request_id& id, const resource_id& resource, std::size_t peers);
std::string write_lookup_result(const request_id& id, const resource_id& resource,
                                const std::string* metadata_base64, std::size_t metadata_size,
                                std::size_t peer_count, const std::vector<peer_entry>& peers);
std::string write_left(const request_id& id, const resource_id& resource);
std::string write_signal(const resource_id& resource, const peer_id& from, signal_kind kind, std::string_view data_json);
std::string write_peer_joined(const resource_id& resource, const peer_id& peer, bool complete);
std::string write_peer_left(const resource_id& resource, const peer_id& peer);
std::string write_error(errc code, std::string_view message, const request_id& id);

// Depth of the deepest array/object nesting in `text` (strings skipped); used to refuse
// pathological nesting before the JSON library recurses into it.
std::size_t json_nesting_depth(std::string_view text) noexcept;

}  // namespace peershare::signaling
