// Reporting a broken invariant (core/invariant.hpp).
#include "peershare/core/invariant.hpp"

#include <cstdio>
#include <cstdlib>

namespace peershare::detail {

void invariant_failed(const char* file, int line, const char* condition, const char* why) noexcept {
    // Straight to stderr, unbuffered: the process aborts next, and the log's own lock may be held.
    std::fprintf(stderr, "peershare: invariant broken at %s:%d: %s (%s)\n", file, line, why, condition);
    std::fflush(stderr);
    std::abort();
}

}  // namespace peershare::detail
