// Shared unit-test helpers: GoogleTest printers for peershare's types and deterministic ids.
#pragma once

#include "peershare/core/errors.hpp"
#include "peershare/core/ids.hpp"

#include <cstdio>
#include <ostream>

namespace peershare {

// Printers, so failed assertions show names instead of bytes.
inline void PrintTo(errc e, std::ostream* os) { *os << "errc::" << code_name(e); }
inline void PrintTo(const resource_id& id, std::ostream* os) { *os << "resource " << id.str(); }
inline void PrintTo(const peer_id& id, std::ostream* os) { *os << "peer " << id.str(); }

namespace test {

// The n-th peer id: n in hex, zero-padded to 32 digits.
inline peer_id peer(unsigned n) {
    char text[peer_id::hex_length + 1];
    std::snprintf(text, sizeof text, "%032x", n);
    return *peer_id::parse(text);
}

// The n-th resource id: n in hex, zero-padded to 64 digits.
inline resource_id resource(unsigned n) {
    char text[resource_id::hex_length + 1];
    std::snprintf(text, sizeof text, "%064x", n);
    return *resource_id::parse(text);
}

}  // namespace test
}  // namespace peershare
