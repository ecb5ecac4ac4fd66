// Validation and creation of resource ids and peer ids.
#include "peershare/core/ids.hpp"

#include "peershare/core/encoding.hpp"
#include "peershare/core/sha256.hpp"

#include <openssl/rand.h>

#include <stdexcept>

namespace peershare {

bool is_lower_hex(std::string_view text, std::size_t n) noexcept {
    if (text.size() != n) return false;
    for (char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

std::optional<resource_id> resource_id::parse(std::string_view text) {
    if (!is_lower_hex(text, hex_length)) return std::nullopt;
    return resource_id(std::string(text));
}

resource_id resource_id::of_metadata(std::string_view metadata) {
    return resource_id(to_hex(as_bytes(sha256(metadata))));
}

std::optional<peer_id> peer_id::parse(std::string_view text) {
    if (!is_lower_hex(text, hex_length)) return std::nullopt;
    return peer_id(std::string(text));
}

peer_id peer_id::random() {
    unsigned char bytes[hex_length / 2];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("the system's random source failed");
    return peer_id(to_hex({reinterpret_cast<const char*>(bytes), sizeof bytes}));
}

}  // namespace peershare
