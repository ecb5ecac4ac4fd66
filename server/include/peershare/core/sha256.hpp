// SHA-256 over byte strings (OpenSSL's libcrypto underneath).
#pragma once

#include <array>
#include <string_view>

namespace peershare {

using sha256_digest = std::array<unsigned char, 32>;

sha256_digest sha256(std::string_view bytes);

inline std::string_view as_bytes(const sha256_digest& d) {
    return {reinterpret_cast<const char*>(d.data()), d.size()};
}

}  // namespace peershare
