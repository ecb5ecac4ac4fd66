// Time-limited TURN credentials in coturn's REST-API form (use-auth-secret): the username is
// "<unix expiry>:<peer id>" and the credential base64(HMAC-SHA1(secret, username)), so coturn checks
// them with the shared secret alone and they stop working at the expiry.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace peershare {

struct turn_credentials {
    std::string username;
    std::string credential;
    std::int64_t expires = 0;  // Unix seconds
};

turn_credentials mint_turn_credentials(std::string_view secret, std::string_view peer, std::int64_t now,
                                       std::int64_t ttl_seconds);

}  // namespace peershare
