// WebSocket framing of the load generator (see frames.hpp).
#include "frames.hpp"

namespace peershare::loadgen {

void append_client_frame(std::string& out, opcode op, std::string_view payload) {
    const std::size_t n = payload.size();
    out.push_back(static_cast<char>(0x80 | static_cast<std::uint8_t>(op)));
    if (n < 126) {
        out.push_back(static_cast<char>(0x80 | n));
    } else if (n <= 0xFFFF) {
        out.push_back(static_cast<char>(0x80 | 126));
        out.push_back(static_cast<char>(n >> 8));
        out.push_back(static_cast<char>(n & 0xFF));
    } else {
        out.push_back(static_cast<char>(0x80 | 127));
        for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((static_cast<std::uint64_t>(n) >> shift) & 0xFF));
    }
    out.append(4, '\0');  // the masking key
    out.append(payload);
}

std::optional<server_frame> parse_server_frame(std::string_view in) {
    if (in.size() < 2) return std::nullopt;
    const auto b0 = static_cast<std::uint8_t>(in[0]);
    const auto b1 = static_cast<std::uint8_t>(in[1]);
    if (b0 & 0x70) throw frame_error("reserved bits set in a server frame");
    if (b1 & 0x80) throw frame_error("masked server frame");
    std::size_t header = 2;
    std::uint64_t length = b1 & 0x7F;
    if (length == 126) {
        if (in.size() < 4) return std::nullopt;
        length = (static_cast<std::uint64_t>(static_cast<std::uint8_t>(in[2])) << 8) | static_cast<std::uint8_t>(in[3]);
        header = 4;
    } else if (length == 127) {
        if (in.size() < 10) return std::nullopt;
        length = 0;
        for (std::size_t i = 2; i < 10; ++i) length = (length << 8) | static_cast<std::uint8_t>(in[i]);
        header = 10;
    }
    if (length > max_server_frame_bytes) throw frame_error("server frame over " + std::to_string(max_server_frame_bytes) + " bytes");
    const std::size_t size = header + static_cast<std::size_t>(length);
    if (in.size() < size) return std::nullopt;
    return server_frame{static_cast<opcode>(b0 & 0x0F), (b0 & 0x80) != 0, in.substr(header, static_cast<std::size_t>(length)), size};
}

std::string upgrade_request(std::string_view host, std::string_view target) {
    std::string r;
    r.append("GET ").append(target).append(" HTTP/1.1\r\nHost: ").append(host);
    r.append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
    return r;
}

std::optional<std::size_t> response_head_length(std::string_view in) {
    auto end = in.find("\r\n\r\n");
    if (end == std::string_view::npos) return std::nullopt;
    return end + 4;
}

bool upgrade_accepted(std::string_view head) {
    return head.starts_with("HTTP/1.1 101 ");
}

}  // namespace peershare::loadgen
