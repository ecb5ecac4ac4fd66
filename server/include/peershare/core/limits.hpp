// Every limit the server enforces on clients, with its default and the reason for it, in one place.
// docs/protocol.md §2.4 mirrors this table; an operator changes the configurable ones by flag.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace peershare {

struct limits {
    // An SDP with its candidates is a few KiB; bounds the memory one frame can take.
    std::size_t max_message_bytes = 64 * 1024;
    // Bounds per-connection state and the burst of re-announces after a reconnect.
    std::size_t max_swarms = 256;
    // A join is pushed to every member: bounds the fan-out one message causes.
    std::size_t max_swarm_size = 2000;
    // More sources than a browser can usefully open connections to.
    std::size_t max_lookup_peers = 50;
    // Steady signaling needs far fewer; bounds the work one client can cause.
    double messages_per_second = 50;
    // A reconnecting client re-announces up to max_swarms shares at once.
    double message_burst = 300;
    // Several tabs and devices behind one NAT, not a flood.
    std::size_t max_connections_per_ip = 64;
    // A client that cannot send its upgrade request within this is a slowloris.
    std::chrono::milliseconds handshake_timeout{10'000};
    // Pings go out at half of it; a dead peer is dropped within it.
    std::chrono::milliseconds idle_timeout{60'000};
    // A client that does not read is dropped rather than buffered for: it never slows others.
    std::size_t max_write_queue_messages = 1024;
    std::size_t max_write_queue_bytes = 4 * 1024 * 1024;
    // Bounds negotiation state per peer.
    std::size_t max_open_offers = 64;
    // ICE gathering and restarts finish well inside it.
    std::chrono::milliseconds signal_session_ttl{120'000};
    // Lookup replies carry metadata inline up to this encoded size, so they stay well under a frame.
    std::size_t max_inline_metadata = 32 * 1024;
    // Deeper JSON is never needed by the protocol; bounds recursion in the JSON library.
    std::size_t max_json_depth = 32;
    // HTTP request headers; larger is not a browser.
    std::size_t max_http_header_bytes = 8 * 1024;
};

}  // namespace peershare
