// Route table and matching.
#include "peershare/core/http_router.hpp"

#include <array>
#include <vector>

namespace peershare::routing {
namespace {

struct entry {
    std::string_view method;
    std::string_view pattern;  // "{id}" matches one segment
    route which;
};

constexpr std::array<entry, 7> table{{
    {"GET", "/healthz", route::healthz},
    {"GET", "/metrics", route::metrics},
    {"GET", "/api/stats", route::stats},
    {"GET", "/api/resources/{id}", route::resource_info},
    {"GET", "/api/resources/{id}/metadata", route::resource_metadata_get},
    {"PUT", "/api/resources/{id}/metadata", route::resource_metadata_put},
    {"GET", "/ws", route::websocket},
}};

std::vector<std::string_view> segments(std::string_view path) {
    std::vector<std::string_view> out;
    std::size_t start = 1;
    while (start <= path.size()) {
        auto end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        out.push_back(path.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

bool matches(std::string_view pattern, const std::vector<std::string_view>& path, std::string& param) {
    auto pat = segments(pattern);
    if (pat.size() != path.size()) return false;
    std::string captured;
    for (std::size_t i = 0; i < pat.size(); ++i) {
        if (pat[i] == "{id}") {
            if (path[i].empty()) return false;
            captured = std::string(path[i]);
        } else if (pat[i] != path[i]) {
            return false;
        }
    }
    param = std::move(captured);
    return true;
}

}  // namespace

match_result match(std::string_view method, std::string_view target) {
    match_result result;
    auto path = target.substr(0, target.find('?'));
    if (path.empty() || path.front() != '/') {
        result.error = errc::bad_request;
        return result;
    }
    result.path = std::string(path);
    if (method == "HEAD") method = "GET";
    auto segs = segments(path);
    bool path_known = false;
    for (const auto& e : table) {
        std::string param;
        if (!matches(e.pattern, segs, param)) continue;
        path_known = true;
        if (e.method != method) continue;
        result.which = e.which;
        result.param = std::move(param);
        return result;
    }
    if (path_known) {
        result.error = errc::method_not_allowed;
        return result;
    }
    if (path == "/api" || path.starts_with("/api/")) {
        result.error = errc::not_found;
        return result;
    }
    if (method != "GET") {
        result.error = errc::method_not_allowed;
        return result;
    }
    result.which = route::static_file;
    return result;
}

}  // namespace peershare::routing
