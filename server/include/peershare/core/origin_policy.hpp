// Which web pages may open a signaling WebSocket (docs/protocol.md §2): requests without an Origin
// (native peers), the server's own origin as the request's Host names it (http or https, so a TLS
// proxy in front works), and the origins given with --allowed-origin. Also how origins and Host
// headers are read.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace peershare {

// Normalizes an origin ("https://Example.org:443/" -> "https://example.org"); nullopt when it is
// not scheme://host[:port] with scheme http or https.
std::optional<std::string> normalize_origin(std::string_view origin);

// The host part of a Host header ("a.example:8080" -> "a.example", "[::1]:80" -> "[::1]"),
// lowercase; "" when it is not a plain host name or address.
std::string host_of(std::string_view host_header);

class origin_policy {
public:
    // `allowed`: normalized origins (normalize_origin) besides the server's own.
    explicit origin_policy(std::vector<std::string> allowed) : allowed_(std::move(allowed)) {}

    // `origin`: the upgrade request's Origin header ("" when absent); `host`: its Host header.
    bool allows(std::string_view origin, std::string_view host) const;

private:
    std::vector<std::string> allowed_;
};

}  // namespace peershare
