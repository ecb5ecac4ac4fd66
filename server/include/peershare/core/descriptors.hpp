// The process's file-descriptor limit: every connection is a descriptor.
#pragma once

#include <cstdint>

namespace peershare {

// Raises the soft RLIMIT_NOFILE to the hard limit (the usual soft limit, 1024, is far below what
// the server, or the load generator, holds). Returns the soft limit in force; 0 when unknown.
std::uint64_t raise_descriptor_limit() noexcept;

}  // namespace peershare
