// PS_ASSERT: an invariant the code relies on, checked in builds made with PEERSHARE_INVARIANTS
// (every test build: scripts/build.sh --tests) and compiled out otherwise. A broken invariant is a
// bug: the check logs where and what, then aborts, so a test run fails at the first wrong state
// instead of some time later. Keep each check cheap: they run on the hot paths of the test builds
// the benchmarks also use.
#pragma once

namespace peershare::detail {
[[noreturn]] void invariant_failed(const char* file, int line, const char* condition, const char* why) noexcept;
}  // namespace peershare::detail

#ifdef PEERSHARE_INVARIANTS
#define PS_ASSERT(condition, why)                                                              \
    do {                                                                                       \
        if (!(condition)) ::peershare::detail::invariant_failed(__FILE__, __LINE__, #condition, why); \
    } while (false)
#else
// Not evaluated, but still compiled: a check cannot rot unseen in builds without invariants.
#define PS_ASSERT(condition, why)      \
    do {                               \
        if (false) (void)(condition);  \
    } while (false)
#endif
