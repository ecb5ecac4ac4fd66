// JSON text without a document tree, for the signaling hot path: a strict RFC 8259 reader of one
// object's top-level members (each value kept as the span of text it occupies), and the string
// escaping the server's hand-written messages use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace peershare::json_text {

enum class kind { string, number, boolean, null, object, array };

// One top-level member's value: its kind and its text exactly as sent (a string with its quotes).
struct value {
    kind type;
    std::string_view text;
};

// Reads `text` as one JSON object and calls `on_member(key, value)` for each top-level member in
// order (the key decoded). True when the whole text is valid JSON (RFC 8259: strict grammar,
// well-formed UTF-8 in strings, escapes with paired surrogates, whitespace around) holding an
// object; false otherwise, after calling `on_member` for the members read so far. Nesting is
// recursive: callers bound it first (see signal_message's json_nesting_depth).
bool read_object(std::string_view text, const std::function<void(std::string_view, const value&)>& on_member);

// The decoded contents of a string value read by read_object.
std::string decode_string(const value& v);

// A number value read by read_object that is a non-negative integer written without fraction or
// exponent, if it is at most `max`.
std::optional<std::uint64_t> as_unsigned(const value& v, std::uint64_t max);

// A value read by read_object without the whitespace between its tokens.
std::string compact(const value& v);

// Appends `s` as a JSON string (with quotes): '"', '\\' and control characters escaped, UTF-8 kept
// as is, and each byte that is not part of well-formed UTF-8 replaced by U+FFFD, so that what the
// server writes is always valid JSON in a valid text frame.
void append_string(std::string& out, std::string_view s);

}  // namespace peershare::json_text
