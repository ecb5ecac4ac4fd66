// WebSocket framing (RFC 6455 §5), sans-io: a frame (header and payload) appended to a string, and
// a frame header read from bytes with every check its receiver must make. The server frames its
// signaling messages with it (net/corked_stream.hpp); the load generator frames and reads with it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace peershare::ws_frame {

enum class opcode : std::uint8_t { continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA };

// Which end wrote a frame: a client masks every frame, a server none (§5.1).
enum class sender : std::uint8_t { client, server };

using masking_key = std::array<std::uint8_t, 4>;

// §5.5: a control frame (close, ping, pong) carries at most 125 bytes and is never fragmented.
inline constexpr std::size_t max_control_payload = 125;
// Two bytes, eight of extended length, four of masking key.
inline constexpr std::size_t max_header_size = 14;

// The size of the header of a frame carrying `payload_size` bytes: 2, 4 or 10 (the length in 7, 16
// or 64 bits), and 4 more for the masking key.
constexpr std::size_t header_size(std::uint64_t payload_size, bool masked) noexcept {
    const std::size_t length_bytes = payload_size < 126 ? 2 : payload_size <= 0xFFFF ? 4 : 10;
    return length_bytes + (masked ? 4 : 0);
}

// Appends a server's frame (not masked) carrying `payload`; `fin` false leaves the message open for
// continuation frames. No allocation beyond the growth of `out`.
void append_server_frame(std::string& out, opcode op, std::string_view payload, bool fin = true);

// Appends a client's frame carrying `payload` masked with `key` (§5.3). RFC 6455 wants a fresh,
// unpredictable key per frame, so that a script cannot choose the bytes an intermediary sees; the
// key is the caller's to draw. An all-zero key leaves the payload as it is and costs no XOR.
void append_client_frame(std::string& out, opcode op, std::string_view payload, const masking_key& key,
                         bool fin = true);

// Masks or unmasks `bytes` in place, the first byte with key[0] (§5.3: the same XOR both ways).
void apply_mask(std::span<char> bytes, const masking_key& key) noexcept;

struct header {
    bool fin = true;
    opcode op = opcode::text;
    bool masked = false;
    masking_key key{};  // when masked
    std::uint64_t payload_size = 0;
    std::size_t size = 0;  // of the header itself: the payload starts here
};

// The bytes so far are the valid beginning of a header (or of a frame): read more.
struct need_more {};

// What makes a frame malformed; each is found as soon as the bytes that show it are there.
enum class error : std::uint8_t {
    reserved_bits,          // RSV1, RSV2 or RSV3 set: no extension is ever negotiated
    reserved_opcode,        // an opcode RFC 6455 leaves undefined (3-7, 0xB-0xF)
    masked_server_frame,    // a server's frame with the mask bit (§5.1)
    unmasked_client_frame,  // a client's frame without it (§5.1)
    length_top_bit,         // a 64-bit length with its most significant bit set (§5.2)
    length_not_minimal,     // a length in more bytes than it needs (§5.2: the minimal number MUST be used)
    too_large,              // a payload over the receiver's maximum
    control_too_large,      // a control frame over max_control_payload (§5.5)
    control_fragmented,     // a control frame without FIN (§5.5)
};

// A sentence for people, without trailing period.
std::string_view describe(error e) noexcept;

// The header at the start of `in`, written by `from`, of a frame whose payload the receiver takes
// up to `max_payload` bytes. Looks only at the header's bytes: the payload may not be there yet.
std::variant<header, need_more, error> parse_header(std::string_view in, sender from,
                                                    std::uint64_t max_payload) noexcept;

struct frame {
    header head;
    std::string_view payload;  // in the parsed bytes; still masked when head.masked
    std::size_t size() const noexcept { return head.size + payload.size(); }
};

// The whole frame at the start of `in`: need_more until its payload is there too.
std::variant<frame, need_more, error> parse_frame(std::string_view in, sender from, std::uint64_t max_payload) noexcept;

}  // namespace peershare::ws_frame
