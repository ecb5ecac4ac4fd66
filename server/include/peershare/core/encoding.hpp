// Byte encodings used on the wire: lowercase hex and standard base64 (RFC 4648, with padding).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace peershare {

std::string to_hex(std::string_view bytes);

// Decodes lowercase or uppercase hex; nullopt on odd length or a non-hex character.
std::optional<std::string> from_hex(std::string_view text);

std::string to_base64(std::string_view bytes);

// Decodes standard base64 with padding; nullopt on any deviation (bad character, missing or
// misplaced padding, non-zero trailing bits), so one byte string has exactly one encoding.
std::optional<std::string> from_base64(std::string_view text);

// Length of to_base64 of n bytes.
constexpr std::size_t base64_length(std::size_t n) { return (n + 2) / 3 * 4; }

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view text);

}  // namespace peershare
