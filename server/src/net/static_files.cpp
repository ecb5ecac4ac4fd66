// Lookup of web app files and their HTTP metadata.
#include "static_files.hpp"

#include "peershare/net/embedded_assets.hpp"

#include <array>
#include <fstream>
#include <sstream>
#include <utility>

namespace peershare::net {
namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 14> types{{
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".webmanifest", "application/manifest+json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".wasm", "application/wasm"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
    {".map", "application/json"},
    {".webp", "image/webp"},
}};

// Files under /assets/ carry a content hash in their names (the npm build does it), so they never
// change under one URL.
constexpr std::string_view hashed_prefix = "/assets/";

bool safe_relative(std::string_view path) {
    if (path.find('\0') != std::string_view::npos || path.find('\\') != std::string_view::npos) return false;
    std::size_t start = 1;
    while (start <= path.size()) {
        auto end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        auto part = path.substr(start, end - start);
        if (part.empty() || part == "." || part == "..") return false;
        start = end + 1;
    }
    return true;
}

}  // namespace

static_files::static_files(std::optional<std::filesystem::path> web_root) : web_root_(std::move(web_root)) {
    for (const auto& a : embedded_assets())
        embedded_.emplace(a.path, std::string_view(reinterpret_cast<const char*>(a.data), a.size));
}

std::string_view static_files::content_type_of(std::string_view path) noexcept {
    for (const auto& [ext, type] : types)
        if (path.ends_with(ext)) return type;
    return "application/octet-stream";
}

std::string_view static_files::cache_control_of(std::string_view path) noexcept {
    return path.starts_with(hashed_prefix) ? "public, max-age=31536000, immutable" : "no-cache";
}

std::optional<static_files::file> static_files::find(std::string_view path) const {
    if (path == "/") path = "/index.html";
    if (!safe_relative(path)) return std::nullopt;
    file f{{}, content_type_of(path), cache_control_of(path)};
    if (web_root_) {
        auto full = *web_root_ / std::filesystem::path(std::string(path.substr(1)));
        std::error_code ec;
        if (!std::filesystem::is_regular_file(full, ec)) return std::nullopt;
        std::ifstream in(full, std::ios::binary);
        if (!in) return std::nullopt;
        std::ostringstream body;
        body << in.rdbuf();
        f.body = std::move(body).str();
        return f;
    }
    auto it = embedded_.find(path);
    if (it == embedded_.end()) return std::nullopt;
    f.body = std::string(it->second);
    return f;
}

}  // namespace peershare::net
