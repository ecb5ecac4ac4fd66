// Shared unit-test helpers: GoogleTest printers for peershare's types and deterministic ids.
#pragma once

#include "peershare/core/errors.hpp"
#include "peershare/core/ids.hpp"
#include "peershare/core/metadata.hpp"

#include <cstdio>
#include <ostream>
#include <string>

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

// Valid metadata (docs/protocol.md §1) of a one-file share whose content depends on n.
inline std::string metadata_bytes(unsigned n) {
    const std::string content = "content of share " + std::to_string(n);
    metadata::share s;
    s.name = "share-" + std::to_string(n) + ".bin";
    s.files.push_back({s.name, content.size()});
    s.piece_size = metadata::piece_size_for(content.size());
    s.piece_hashes.push_back(sha256(content));
    return metadata::serialize(s);
}

}  // namespace test
}  // namespace peershare
