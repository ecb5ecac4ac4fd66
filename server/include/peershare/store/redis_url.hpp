// The address of a Redis server as given to --store: redis://HOST[:PORT][/DB].
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace peershare {

struct redis_url {
    std::string host;          // a name or an address; an IPv6 address without its brackets
    std::uint16_t port = 6379; // Redis's own default when the URL names none
    int db = 0;                // the logical database (SELECT); Redis has 0-15 unless configured otherwise

    std::string str() const;   // canonical form, e.g. "redis://127.0.0.1:6379/0", "redis://[::1]:6380/2"
    friend bool operator==(const redis_url&, const redis_url&) = default;
};

// The URL, or a sentence saying what is wrong with it. Refused: another scheme (rediss://: TLS is not
// supported), credentials (user:password@), an empty host, a port outside 1-65535, a database that is
// not a number from 0 to 2^31-1, and anything after the database (a query, a second path segment).
std::variant<redis_url, std::string> parse_redis_url(std::string_view text);

}  // namespace peershare
