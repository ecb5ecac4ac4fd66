// The client address of a connection that may come through trusted reverse proxies: when the TCP
// peer is a trusted proxy, the client is the rightmost X-Forwarded-For entry that is not a
// trusted proxy. Pure text handling (inet_pton/inet_ntop, no sockets).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace peershare::forwarded {

// An IPv4 or IPv6 address in one text form ("192.0.2.1", "2001:db8::1"); an IPv4-mapped IPv6
// address becomes its IPv4 address. nullopt for anything else (ports, brackets, host names,
// zone ids, surrounding spaces).
std::optional<std::string> canonical_address(std::string_view text);

// The addresses of the trusted proxies; empty trusts nobody.
class trusted_proxies {
public:
    trusted_proxies() = default;
    // Every entry must pass canonical_address (checked by the command line); others are ignored.
    explicit trusted_proxies(const std::vector<std::string>& addresses);

    bool empty() const noexcept { return addresses_.empty(); }
    bool contains(std::string_view canonical) const;

private:
    std::vector<std::string> addresses_;  // canonical, sorted
};

// The client address for a connection whose TCP peer is `peer` (canonical, or anything else for
// an address that is never trusted) and whose X-Forwarded-For header (several header lines joined
// with ',') is `header`. The peer itself unless it is a trusted proxy and the header is present and
// well formed (comma-separated addresses, spaces and tabs around them allowed); then the rightmost
// entry that is not a trusted proxy, or the leftmost when all are.
std::string client_address(const std::string& peer, std::string_view header, const trusted_proxies& trusted);

}  // namespace peershare::forwarded
