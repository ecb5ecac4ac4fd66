// WebSocket frame writing and header reading (see ws_frame.hpp).
#include "peershare/core/ws_frame.hpp"

namespace peershare::ws_frame {
namespace {

constexpr std::uint8_t fin_bit = 0x80;
constexpr std::uint8_t reserved_mask = 0x70;
constexpr std::uint8_t opcode_mask = 0x0F;
constexpr std::uint8_t control_bit = 0x08;
constexpr std::uint8_t mask_bit = 0x80;
constexpr std::uint8_t length_mask = 0x7F;
constexpr std::uint8_t length_16 = 126;  // the 7-bit length's value for "a 16-bit length follows"
constexpr std::uint8_t length_64 = 127;  // ... and for "a 64-bit length follows"

std::uint8_t byte_at(std::string_view in, std::size_t at) noexcept { return static_cast<std::uint8_t>(in[at]); }

bool defined(std::uint8_t op) noexcept {
    switch (static_cast<opcode>(op)) {
        case opcode::continuation:
        case opcode::text:
        case opcode::binary:
        case opcode::close:
        case opcode::ping:
        case opcode::pong: return true;
    }
    return false;
}

// Writes the header into `h` (max_header_size bytes) and returns its size.
std::size_t write_header(char* h, opcode op, bool fin, std::uint64_t n, const masking_key* key) noexcept {
    const std::uint8_t mask = key ? mask_bit : 0;
    h[0] = static_cast<char>((fin ? fin_bit : 0) | static_cast<std::uint8_t>(op));
    std::size_t at = 2;
    if (n < length_16) {
        h[1] = static_cast<char>(mask | n);
    } else if (n <= 0xFFFF) {
        h[1] = static_cast<char>(mask | length_16);
        h[2] = static_cast<char>(n >> 8);
        h[3] = static_cast<char>(n & 0xFF);
        at = 4;
    } else {
        h[1] = static_cast<char>(mask | length_64);
        for (int i = 0; i < 8; ++i) h[2 + i] = static_cast<char>((n >> (56 - 8 * i)) & 0xFF);
        at = 10;
    }
    if (key)
        for (std::uint8_t k : *key) h[at++] = static_cast<char>(k);
    return at;
}

}  // namespace

void append_server_frame(std::string& out, opcode op, std::string_view payload, bool fin) {
    char h[max_header_size];
    out.append(h, write_header(h, op, fin, payload.size(), nullptr)).append(payload);
}

void append_client_frame(std::string& out, opcode op, std::string_view payload, const masking_key& key, bool fin) {
    char h[max_header_size];
    out.append(h, write_header(h, op, fin, payload.size(), &key));
    const std::size_t at = out.size();
    out.append(payload);
    if (key != masking_key{}) apply_mask(std::span<char>(out.data() + at, payload.size()), key);
}

void apply_mask(std::span<char> bytes, const masking_key& key) noexcept {
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(static_cast<std::uint8_t>(bytes[i]) ^ key[i & 3]);
}

std::string_view describe(error e) noexcept {
    switch (e) {
        case error::reserved_bits: return "reserved bits set in a frame (no extension was negotiated)";
        case error::reserved_opcode: return "a frame with an undefined opcode";
        case error::masked_server_frame: return "a masked frame from a server";
        case error::unmasked_client_frame: return "an unmasked frame from a client";
        case error::length_top_bit: return "a 64-bit frame length with its most significant bit set";
        case error::length_not_minimal: return "a frame length not in its minimal encoding";
        case error::too_large: return "a frame over the receiver's size limit";
        case error::control_too_large: return "a control frame over 125 bytes";
        case error::control_fragmented: return "a fragmented control frame";
    }
    return "a malformed frame";
}

std::variant<header, need_more, error> parse_header(std::string_view in, sender from, std::uint64_t max_payload) noexcept {
    if (in.size() < 2) return need_more{};
    const std::uint8_t b0 = byte_at(in, 0);
    const std::uint8_t b1 = byte_at(in, 1);
    if (b0 & reserved_mask) return error::reserved_bits;
    const std::uint8_t op = b0 & opcode_mask;
    if (!defined(op)) return error::reserved_opcode;
    header h;
    h.fin = (b0 & fin_bit) != 0;
    h.op = static_cast<opcode>(op);
    h.masked = (b1 & mask_bit) != 0;
    const bool control = (op & control_bit) != 0;
    if (control && !h.fin) return error::control_fragmented;
    if (h.masked && from == sender::server) return error::masked_server_frame;
    if (!h.masked && from == sender::client) return error::unmasked_client_frame;

    std::uint64_t length = b1 & length_mask;
    if (control && length > max_control_payload) return error::control_too_large;
    std::size_t at = 2;
    if (length == length_16) {
        if (in.size() < 4) return need_more{};
        length = static_cast<std::uint64_t>(byte_at(in, 2)) << 8 | byte_at(in, 3);
        if (length < length_16) return error::length_not_minimal;
        at = 4;
    } else if (length == length_64) {
        if (in.size() < 10) return need_more{};
        length = 0;
        for (std::size_t i = 2; i < 10; ++i) length = length << 8 | byte_at(in, i);
        if (length >> 63) return error::length_top_bit;
        if (length <= 0xFFFF) return error::length_not_minimal;
        at = 10;
    }
    if (length > max_payload) return error::too_large;
    h.payload_size = length;

    if (h.masked) {
        if (in.size() < at + h.key.size()) return need_more{};
        for (auto& k : h.key) k = byte_at(in, at++);
    }
    h.size = at;
    return h;
}

std::variant<frame, need_more, error> parse_frame(std::string_view in, sender from, std::uint64_t max_payload) noexcept {
    auto parsed = parse_header(in, from, max_payload);
    if (auto* e = std::get_if<error>(&parsed)) return *e;
    const auto* h = std::get_if<header>(&parsed);
    if (!h || in.size() - h->size < h->payload_size) return need_more{};
    return frame{*h, in.substr(h->size, static_cast<std::size_t>(h->payload_size))};
}

}  // namespace peershare::ws_frame
