// Parsing of redis://HOST[:PORT][/DB] (store/redis_url.hpp). Pure: no I/O.
#include "peershare/store/redis_url.hpp"

#include <cctype>
#include <charconv>
#include <cstdint>
#include <limits>

namespace peershare {
namespace {

constexpr std::string_view scheme = "redis://";

// A decimal number in [min, max] with nothing else around it.
template <typename T>
bool parse_number(std::string_view s, T min, T max, T& out) {
    if (s.empty() || s.size() > 10) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || v < min || v > max) return false;
    out = static_cast<T>(v);
    return true;
}

bool valid_host_name(std::string_view h) {
    if (h.empty() || h.size() > 253) return false;
    for (char c : h)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_')) return false;
    return true;
}

bool valid_ipv6(std::string_view h) {
    if (h.empty() || h.size() > 45) return false;
    for (char c : h)
        if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.')) return false;
    return h.find(':') != std::string_view::npos;
}

}  // namespace

std::string redis_url::str() const {
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return std::string(scheme) + h + ":" + std::to_string(port) + "/" + std::to_string(db);
}

std::variant<redis_url, std::string> parse_redis_url(std::string_view text) {
    const std::string quoted = "'" + std::string(text) + "'";
    if (text.starts_with("rediss://"))
        return quoted + ": TLS (rediss://) is not supported; reach Redis over a private network or a local tunnel";
    if (!text.starts_with(scheme)) return quoted + " is not a URL like redis://HOST:PORT/DB";
    std::string_view rest = text.substr(scheme.size());
    if (rest.find('@') != std::string_view::npos)
        return quoted + ": credentials in the URL are not supported; restrict who can reach Redis instead";
    if (rest.find_first_of("?# ") != std::string_view::npos)
        return quoted + ": only redis://HOST:PORT/DB is understood (no query or fragment)";

    redis_url url;
    std::string_view authority = rest.substr(0, rest.find('/'));
    std::string_view path = authority.size() < rest.size() ? rest.substr(authority.size() + 1) : std::string_view();
    std::string_view port;
    if (authority.starts_with('[')) {
        auto close = authority.find(']');
        if (close == std::string_view::npos) return quoted + ": the IPv6 address has no closing ']'";
        std::string_view address = authority.substr(1, close - 1);
        if (!valid_ipv6(address)) return quoted + ": '" + std::string(address) + "' is not an IPv6 address";
        url.host = address;
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return quoted + ": expected ':PORT' after the IPv6 address";
            port = after.substr(1);
            if (port.empty()) return quoted + ": the port is empty";
        }
    } else {
        auto colon = authority.find(':');
        url.host = authority.substr(0, colon);
        if (url.host.empty()) return quoted + ": the host is empty";
        if (!valid_host_name(url.host)) return quoted + ": '" + url.host + "' is not a host name or address";
        if (colon != std::string_view::npos) {
            port = authority.substr(colon + 1);
            if (port.empty()) return quoted + ": the port is empty";
        }
    }
    if (!port.empty() && !parse_number<std::uint16_t>(port, 1, 65535, url.port))
        return quoted + ": the port '" + std::string(port) + "' is not a number from 1 to 65535";
    if (!path.empty() && !parse_number<int>(path, 0, std::numeric_limits<int>::max(), url.db))
        return quoted + ": the database '" + std::string(path) + "' is not a number from 0 to 2147483647";
    return url;
}

}  // namespace peershare
