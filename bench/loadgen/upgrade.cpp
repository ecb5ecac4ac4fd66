// The load generator's WebSocket opening handshake (see upgrade.hpp).
#include "upgrade.hpp"

namespace peershare::loadgen {

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
