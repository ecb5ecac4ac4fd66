// What every fuzz target shares: a property check that makes libFuzzer keep the input, and a view
// of libFuzzer's input as bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace peershare::fuzz {

// A broken property is a finding like a sanitizer report: say which, and abort so that libFuzzer
// writes the input out as a crash.
inline void check(bool ok, const char* property) {
    if (ok) return;
    std::fprintf(stderr, "fuzz property failed: %s\n", property);
    std::abort();
}

inline std::string_view bytes(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

}  // namespace peershare::fuzz
