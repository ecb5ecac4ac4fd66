// Origin checks and Host header parsing (core/origin_policy.hpp).
#include "peershare/core/origin_policy.hpp"

#include <algorithm>
#include <cctype>

namespace peershare {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

}  // namespace

std::optional<std::string> normalize_origin(std::string_view origin) {
    auto scheme_end = origin.find("://");
    if (scheme_end == std::string_view::npos) return std::nullopt;
    std::string scheme = lower(origin.substr(0, scheme_end));
    if (scheme != "http" && scheme != "https") return std::nullopt;
    std::string_view rest = origin.substr(scheme_end + 3);
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    if (rest.empty() || rest.find_first_of("/?#@ ") != std::string_view::npos) return std::nullopt;
    std::string host = lower(rest);
    if (scheme == "http" && host.ends_with(":80")) host.resize(host.size() - 3);
    if (scheme == "https" && host.ends_with(":443")) host.resize(host.size() - 4);
    return scheme + "://" + host;
}

std::string host_of(std::string_view h) {
    std::string_view host = h;
    if (!h.empty() && h.front() == '[') {
        auto close = h.find(']');
        if (close == std::string_view::npos) return {};
        host = h.substr(0, close + 1);
    } else if (auto colon = h.rfind(':'); colon != std::string_view::npos) {
        host = h.substr(0, colon);
    }
    if (host.empty() || host.size() > 255) return {};
    for (char c : host)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
            return {};
    return lower(host);
}

bool origin_policy::allows(std::string_view origin, std::string_view host) const {
    if (origin.empty()) return true;  // not a browser: a native peer or a test client
    auto normalized = normalize_origin(origin);
    if (!normalized) return false;
    if (std::find(allowed_.begin(), allowed_.end(), *normalized) != allowed_.end()) return true;
    if (host.empty()) return false;
    for (std::string_view scheme : {"http://", "https://"}) {
        auto own = normalize_origin(std::string(scheme) + std::string(host));
        if (own && *own == *normalized) return true;
    }
    return false;
}

}  // namespace peershare
