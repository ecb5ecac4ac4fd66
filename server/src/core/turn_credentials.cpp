// HMAC-SHA1 credential minting for coturn's use-auth-secret mode.
#include "peershare/core/turn_credentials.hpp"

#include "peershare/core/encoding.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace peershare {

turn_credentials mint_turn_credentials(std::string_view secret, std::string_view peer, std::int64_t now,
                                       std::int64_t ttl_seconds) {
    turn_credentials c;
    c.expires = now + ttl_seconds;
    c.username = std::to_string(c.expires) + ":" + std::string(peer);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()),
              reinterpret_cast<const unsigned char*>(c.username.data()), c.username.size(), mac, &len))
        throw std::runtime_error("HMAC-SHA1 failed in libcrypto");
    c.credential = to_base64({reinterpret_cast<const char*>(mac), len});
    return c;
}

}  // namespace peershare
