// Which ICE servers a client is told to use (docs/protocol.md §2.1, `ice_servers`): the built-in
// STUN responder under the host the client reached the server at, the STUN servers given, and TURN
// servers with time-limited credentials minted for the peer; and the transport policy.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace peershare {

struct ice_settings {
    // The built-in STUN responder (UDP, same host as HTTP); listed only when it runs.
    bool stun = true;
    std::uint16_t stun_port = 3478;
    std::vector<std::string> stun_servers;  // "stun:host:port" URLs handed to clients
    std::vector<std::string> turn_urls;     // "turn:", "turns:" URLs of a coturn sharing turn_secret
    std::string turn_secret;                // coturn's static-auth-secret
    // Lifetime of minted TURN credentials: a page asks for fresh ones before they expire.
    std::chrono::seconds turn_ttl{std::chrono::hours(12)};
    // Privacy mode: clients use only relayed candidates, so peers never learn each other's address.
    bool relay_only = false;
};

// What a client needs to set up RTCPeerConnections: its RTCIceServer list (JSON), the transport
// policy, and when TURN credentials in it expire (0 without TURN).
struct ice_config {
    std::string servers_json;
    std::string_view transport_policy;  // "all" or "relay"
    std::int64_t expires = 0;
};

// `host` is the host the client reached the server at (the Host header without port, "" unknown:
// then the built-in responder is not listed); `peer` the client's peer id; `now` Unix seconds.
ice_config ice_for(const ice_settings& settings, std::string_view host, std::string_view peer, std::int64_t now);

}  // namespace peershare
