// The web app's files, from the copy embedded in the binary or from --web-root, with their
// content types and cache policies.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace peershare::net {

class static_files {
public:
    explicit static_files(std::optional<std::filesystem::path> web_root);

    struct file {
        std::string body;
        std::string_view content_type;
        std::string_view cache_control;
    };
    // `path` is a URL path starting with '/'; "/" means "/index.html".
    std::optional<file> find(std::string_view path) const;

    std::size_t embedded_count() const noexcept { return embedded_.size(); }

    static std::string_view content_type_of(std::string_view path) noexcept;
    static std::string_view cache_control_of(std::string_view path) noexcept;

private:
    std::optional<std::filesystem::path> web_root_;
    std::unordered_map<std::string_view, std::string_view> embedded_;
};

}  // namespace peershare::net
