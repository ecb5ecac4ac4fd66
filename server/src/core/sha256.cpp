// SHA-256 through OpenSSL's one-shot EVP digest.
#include "peershare/core/sha256.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace peershare {

sha256_digest sha256(std::string_view bytes) {
    sha256_digest out{};
    unsigned int len = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 || len != out.size())
        throw std::runtime_error("SHA-256 failed in libcrypto");
    return out;
}

}  // namespace peershare
