// The error codes peershare reports to clients (signaling `error` messages and HTTP API errors),
// as one enum with a std::error_category, a stable wire name and a sentence for people.
#pragma once

#include <string_view>
#include <system_error>

namespace peershare {

enum class errc {
    ok = 0,
    bad_json,           // the frame or body is not a JSON object
    bad_message,        // missing field, wrong field type, unknown field, or a binary frame
    unknown_type,       // `type` names no client message
    bad_resource_id,    // a resource id that is not 64 lowercase hex digits
    bad_metadata,       // metadata that is not base64 or breaks the documented layout
    metadata_mismatch,  // metadata that does not hash to the id it is announced under
    metadata_too_large, // metadata over max_metadata_bytes
    metadata_required,  // announce of an unknown share without metadata
    not_found,          // a share the server does not know
    not_in_swarm,       // an operation on a swarm this peer has not joined
    unknown_peer,       // a signal to a peer that is not in the swarm (or to oneself)
    no_offer,           // an answer or candidate without an open negotiation
    too_many_offers,    // more open offers than max_open_offers
    too_many_swarms,    // more swarms than max_swarms for one connection
    swarm_full,         // a swarm already at max_swarm_size
    rate_limited,       // more messages than the rate limit allows
    store_unavailable,  // the resource store failed
    bad_request,        // an HTTP request the API cannot serve (bad path, bad body)
    method_not_allowed, // an HTTP method the path does not accept
    internal,           // a bug in the server
};

inline constexpr int errc_count = static_cast<int>(errc::internal) + 1;

// The stable name sent on the wire ("bad_json"); "ok" for errc::ok.
std::string_view code_name(errc e) noexcept;

// A sentence for people, without trailing period.
std::string_view describe(errc e) noexcept;

const std::error_category& peershare_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), peershare_category()};
}

}  // namespace peershare

template <>
struct std::is_error_code_enum<peershare::errc> : std::true_type {};
