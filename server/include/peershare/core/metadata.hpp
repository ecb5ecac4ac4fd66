// A share's metadata: the binary layout of docs/protocol.md §1, its parser (which enforces every
// rule of the layout), its writer, and the piece size rule. Pure; no I/O.
#pragma once

#include "peershare/core/errors.hpp"
#include "peershare/core/ids.hpp"
#include "peershare/core/sha256.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace peershare::metadata {

// Layout limits; docs/protocol.md §1.3 gives the reasons.
inline constexpr std::string_view magic = "PSH1";
inline constexpr std::size_t max_metadata_bytes = 2 * 1024 * 1024;  // 1 MiB of hashes + a file table
inline constexpr std::uint32_t max_files = 10000;                   // file table a client lays out
inline constexpr std::size_t max_path_bytes = 1024;                 // longer than file systems accept
inline constexpr std::size_t max_name_bytes = 255;                  // one path component
inline constexpr std::uint32_t max_piece_count = 32768;             // hash list <= 1 MiB
inline constexpr std::uint32_t min_piece_size = 256 * 1024;         // fewer, cheaper hashes
inline constexpr std::uint32_t max_piece_size = 16 * 1024 * 1024;   // WebCrypto hashes a piece in one call
inline constexpr std::uint64_t max_file_size = (std::uint64_t{1} << 53) - 1;  // exact in a JS number
inline constexpr std::uint64_t max_total_size = std::uint64_t{max_piece_count} * max_piece_size;

struct file_entry {
    std::string path;
    std::uint64_t size = 0;
    friend bool operator==(const file_entry&, const file_entry&) = default;
};

struct share {
    std::string name;
    std::uint32_t piece_size = 0;
    std::vector<file_entry> files;
    std::vector<sha256_digest> piece_hashes;

    std::uint64_t total_size() const noexcept;
    friend bool operator==(const share&, const share&) = default;
};

// The piece size docs/protocol.md §1.2 prescribes for a share of `total_size` bytes; 0 when the
// share is larger than max_total_size.
std::uint32_t piece_size_for(std::uint64_t total_size) noexcept;

// Number of pieces of a share: ceil(total / piece_size).
std::uint64_t piece_count_for(std::uint64_t total_size, std::uint32_t piece_size) noexcept;

struct parse_error {
    errc code;            // bad_metadata or metadata_too_large
    std::string message;  // which rule failed, for people
};

// Parses and validates `bytes`; every rule of §1 is checked.
std::variant<share, parse_error> parse(std::string_view bytes);

// Writes the canonical bytes of `s` (which must satisfy the rules; parse(serialize(s)) == s).
std::string serialize(const share& s);

// Checks a path or a share name against the character rules of §1.1; empty string when valid,
// otherwise the reason.
std::string check_path(std::string_view path);
std::string check_name(std::string_view name);

}  // namespace peershare::metadata
