// The web app files compiled into the binary: a table generated at build time from the npm
// build's output (server/cmake/embed_web.cmake writes the definition).
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace peershare::net {

struct embedded_asset {
    std::string_view path;  // URL path, starting with '/', e.g. "/index.html"
    const unsigned char* data;
    std::size_t size;
};

// Every embedded file, in no particular order. Empty only if the build embedded nothing.
std::span<const embedded_asset> embedded_assets();

}  // namespace peershare::net
