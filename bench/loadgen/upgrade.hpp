// The load generator's WebSocket opening handshake (RFC 6455 §4): the HTTP Upgrade request it
// writes and the response head it reads back. Pure: bytes in, bytes out; no sockets. Frames are
// core/ws_frame's.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace peershare::loadgen {

// The HTTP Upgrade request the generator opens each connection with.
std::string upgrade_request(std::string_view host, std::string_view target);

// Length of a complete HTTP response head at the start of `in` (through the blank line), or
// nullopt while incomplete; whether it is `101 Switching Protocols` is `upgrade_accepted`'s job.
std::optional<std::size_t> response_head_length(std::string_view in);
bool upgrade_accepted(std::string_view head);

}  // namespace peershare::loadgen
