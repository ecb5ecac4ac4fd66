// The load generator's own WebSocket framing (RFC 6455 §5): client frames written into one buffer
// so that a connection's pending messages leave in one write, and server frames parsed out of a
// read buffer. Pure: bytes in, bytes out; no sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace peershare::loadgen {

enum class opcode : std::uint8_t { continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA };

// Appends one final (FIN) client frame carrying `payload`. Client frames must be masked; the key
// is zero, which leaves the payload as it is (servers apply whatever key is sent, so their cost is
// the same, and the generator saves the work).
void append_client_frame(std::string& out, opcode op, std::string_view payload);

struct server_frame {
    opcode op;
    bool fin;
    std::string_view payload;  // points into the parsed buffer
    std::size_t size;          // header and payload: the bytes the frame occupies
};

// A server sent something that is not a valid server frame (masked, reserved bits, or a length
// beyond what the generator accepts).
struct frame_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The largest server frame accepted: far above any tracker answer of the workload.
inline constexpr std::size_t max_server_frame_bytes = 16 * 1024 * 1024;

// The frame at the start of `in`, or nullopt while it is incomplete. Throws frame_error.
std::optional<server_frame> parse_server_frame(std::string_view in);

// The HTTP Upgrade request the generator opens each connection with.
std::string upgrade_request(std::string_view host, std::string_view target);

// Length of a complete HTTP response head at the start of `in` (through the blank line), or
// nullopt while incomplete; whether it is `101 Switching Protocols` is `upgrade_accepted`'s job.
std::optional<std::size_t> response_head_length(std::string_view in);
bool upgrade_accepted(std::string_view head);

}  // namespace peershare::loadgen
