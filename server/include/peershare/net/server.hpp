// Entry point of the network layer: runs the whole service until SIGINT or SIGTERM.
#pragma once

#include "peershare/net/server_config.hpp"

namespace peershare::net {

// Returns the process exit code: 0 after a graceful shutdown, non-zero when start-up failed.
int run_server(const server_config& config);

}  // namespace peershare::net
