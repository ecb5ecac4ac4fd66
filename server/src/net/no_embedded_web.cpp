// The empty asset table of a build configured without the web app (PEERSHARE_EMBED_WEB=OFF).
#include "peershare/net/embedded_assets.hpp"

namespace peershare::net {
std::span<const embedded_asset> embedded_assets() { return {}; }
}  // namespace peershare::net
