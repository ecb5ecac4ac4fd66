#include "peershare/core/forwarded.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace peershare::forwarded {

std::optional<std::string> canonical_address(std::string_view text) {
    if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
    std::string s(text);  // inet_pton needs a terminated string
    std::array<char, INET6_ADDRSTRLEN + 1> out{};
    in_addr v4{};
    if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
        if (!inet_ntop(AF_INET, &v4, out.data(), out.size())) return std::nullopt;
        return std::string(out.data());
    }
    in6_addr v6{};
    if (inet_pton(AF_INET6, s.c_str(), &v6) != 1) return std::nullopt;
    static constexpr std::array<unsigned char, 12> mapped_prefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(v6.s6_addr, mapped_prefix.data(), mapped_prefix.size()) == 0) {
        std::memcpy(&v4, v6.s6_addr + 12, 4);
        if (!inet_ntop(AF_INET, &v4, out.data(), out.size())) return std::nullopt;
        return std::string(out.data());
    }
    if (!inet_ntop(AF_INET6, &v6, out.data(), out.size())) return std::nullopt;
    return std::string(out.data());
}

trusted_proxies::trusted_proxies(const std::vector<std::string>& addresses) {
    for (const auto& a : addresses)
        if (auto c = canonical_address(a)) addresses_.push_back(std::move(*c));
    std::sort(addresses_.begin(), addresses_.end());
    addresses_.erase(std::unique(addresses_.begin(), addresses_.end()), addresses_.end());
}

bool trusted_proxies::contains(std::string_view canonical) const {
    return std::binary_search(addresses_.begin(), addresses_.end(), canonical);
}

namespace {

std::string_view trim(std::string_view s) {
    auto space = [](char c) { return c == ' ' || c == '\t'; };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
}

}  // namespace

std::string client_address(const std::string& peer, std::string_view header, const trusted_proxies& trusted) {
    if (trusted.empty() || !trusted.contains(peer)) return peer;
    std::vector<std::string> hops;
    for (;;) {
        auto comma = header.find(',');
        auto entry = canonical_address(trim(header.substr(0, comma)));
        if (!entry) return peer;  // missing (empty) or malformed: nothing in it can be believed
        hops.push_back(std::move(*entry));
        if (comma == std::string_view::npos) break;
        header.remove_prefix(comma + 1);
    }
    for (auto it = hops.rbegin(); it != hops.rend(); ++it)
        if (!trusted.contains(*it)) return *it;
    return hops.front();
}

}  // namespace peershare::forwarded
