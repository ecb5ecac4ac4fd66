// Covers core/encoding: hex and base64 (RFC 4648 vectors, canonical-only decoding) and the UTF-8 validator.
#include "peershare/core/encoding.hpp"

#include <gtest/gtest.h>

#include <string>

namespace peershare {
namespace {

using namespace std::string_literals;

std::string all_byte_values() {
    std::string out;
    for (int i = 0; i < 256; ++i) out.push_back(static_cast<char>(i));
    return out;
}

// --- hex ---

TEST(hex, encodes_lowercase_two_digits_per_byte) {
    EXPECT_EQ(to_hex(""), "");
    EXPECT_EQ(to_hex("\x00\x0f\xa0\xff"s), "000fa0ff");
}

TEST(hex, decodes_lowercase_and_uppercase) {
    EXPECT_EQ(from_hex("000fa0ff"), "\x00\x0f\xa0\xff"s);
    EXPECT_EQ(from_hex("000FA0FF"), "\x00\x0f\xa0\xff"s);
    EXPECT_EQ(from_hex(""), "");
}

TEST(hex, round_trips_every_byte_value) {
    const auto bytes = all_byte_values();
    EXPECT_EQ(from_hex(to_hex(bytes)), bytes);
}

TEST(hex, rejects_odd_length) {
    EXPECT_EQ(from_hex("a"), std::nullopt);
    EXPECT_EQ(from_hex("abc"), std::nullopt);
}

TEST(hex, rejects_non_hex_characters) {
    EXPECT_EQ(from_hex("0g"), std::nullopt);
    EXPECT_EQ(from_hex("g0"), std::nullopt);
    EXPECT_EQ(from_hex("0 "), std::nullopt);
    EXPECT_EQ(from_hex("0x"), std::nullopt);
}

// --- base64 ---

struct b64_vector {
    const char* plain;
    const char* encoded;
};
// RFC 4648 §10.
constexpr b64_vector rfc4648_vectors[] = {
    {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

TEST(base64, encodes_rfc4648_test_vectors) {
    for (const auto& v : rfc4648_vectors) EXPECT_EQ(to_base64(v.plain), v.encoded) << "input '" << v.plain << "'";
}

TEST(base64, decodes_rfc4648_test_vectors) {
    for (const auto& v : rfc4648_vectors) EXPECT_EQ(from_base64(v.encoded), v.plain) << "input '" << v.encoded << "'";
}

TEST(base64, round_trips_binary_of_every_length_remainder) {
    const auto bytes = all_byte_values();
    for (std::size_t n = 0; n <= bytes.size(); ++n) {
        auto part = bytes.substr(bytes.size() - n);  // ends with 0xff: exercises the high bits
        auto encoded = to_base64(part);
        EXPECT_EQ(encoded.size(), base64_length(n));
        EXPECT_EQ(from_base64(encoded), part) << "length " << n;
    }
}

TEST(base64, uses_the_standard_alphabet_with_plus_and_slash) {
    EXPECT_EQ(to_base64("\xfb\xff\xbf"s), "+/+/");
    EXPECT_EQ(from_base64("+/+/"), "\xfb\xff\xbf"s);
}

TEST(base64, rejects_characters_outside_the_alphabet) {
    EXPECT_EQ(from_base64("Zm9v!A=="), std::nullopt);
    EXPECT_EQ(from_base64("-_-_"), std::nullopt);  // the URL-safe alphabet is not accepted
    EXPECT_EQ(from_base64("Zm9v\nYg=="), std::nullopt);
    EXPECT_EQ(from_base64("Zm 9"), std::nullopt);
    EXPECT_EQ(from_base64("Zm9\x80"s), std::nullopt);
    EXPECT_EQ(from_base64("Zm9\0"s), std::nullopt);
}

TEST(base64, rejects_missing_padding) {
    EXPECT_EQ(from_base64("Zg"), std::nullopt);
    EXPECT_EQ(from_base64("Zm8"), std::nullopt);
    EXPECT_EQ(from_base64("Zg="), std::nullopt);
    EXPECT_EQ(from_base64("Zm9vYg"), std::nullopt);
}

TEST(base64, rejects_misplaced_or_excess_padding) {
    EXPECT_EQ(from_base64("===="), std::nullopt);
    EXPECT_EQ(from_base64("Z==="), std::nullopt);
    EXPECT_EQ(from_base64("=Zm9"), std::nullopt);
    EXPECT_EQ(from_base64("Zm=v"), std::nullopt);
    EXPECT_EQ(from_base64("Zg==Zm9v"), std::nullopt);  // padding before the last quantum
    EXPECT_EQ(from_base64("Zm8=Zm9v"), std::nullopt);
    EXPECT_EQ(from_base64("Zg==="), std::nullopt);
}

TEST(base64, rejects_non_zero_trailing_bits_so_each_byte_string_has_one_encoding) {
    // "Zg==" is "f"; "Zh==" carries the same byte with non-zero bits that padding drops.
    EXPECT_EQ(from_base64("Zh=="), std::nullopt);
    EXPECT_EQ(from_base64("Zv=="), std::nullopt);
    // "Zm8=" is "fo"; "Zm9=" differs only in the two dropped bits.
    EXPECT_EQ(from_base64("Zm9="), std::nullopt);
    EXPECT_EQ(from_base64("Zm/="), std::nullopt);
}

TEST(base64, length_matches_padded_encoding) {
    EXPECT_EQ(base64_length(0), 0u);
    EXPECT_EQ(base64_length(1), 4u);
    EXPECT_EQ(base64_length(3), 4u);
    EXPECT_EQ(base64_length(4), 8u);
    EXPECT_EQ(base64_length(122), 164u);
}

// --- UTF-8 ---

TEST(utf8, accepts_ascii_and_the_empty_string) {
    EXPECT_TRUE(is_valid_utf8(""));
    EXPECT_TRUE(is_valid_utf8("hello/world.txt"));
    EXPECT_TRUE(is_valid_utf8("\x00\x7f"s));  // control characters are valid UTF-8 (metadata rejects them itself)
}

TEST(utf8, accepts_two_three_and_four_byte_sequences) {
    EXPECT_TRUE(is_valid_utf8("\xc2\x80"));          // U+0080, smallest 2-byte
    EXPECT_TRUE(is_valid_utf8("caf\xc3\xa9"));       // é
    EXPECT_TRUE(is_valid_utf8("\xe0\xa0\x80"));      // U+0800, smallest 3-byte
    EXPECT_TRUE(is_valid_utf8("\xe2\x82\xac"));      // €
    EXPECT_TRUE(is_valid_utf8("\xed\x9f\xbf"));      // U+D7FF, just below the surrogates
    EXPECT_TRUE(is_valid_utf8("\xee\x80\x80"));      // U+E000, just above the surrogates
    EXPECT_TRUE(is_valid_utf8("\xef\xbf\xbf"));      // U+FFFF
    EXPECT_TRUE(is_valid_utf8("\xf0\x90\x80\x80"));  // U+10000, smallest 4-byte
    EXPECT_TRUE(is_valid_utf8("\xf0\x9f\x98\x80"));  // 😀
    EXPECT_TRUE(is_valid_utf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF, the largest code point
}

TEST(utf8, rejects_overlong_encodings) {
    EXPECT_FALSE(is_valid_utf8("\xc0\x80"));          // U+0000 in 2 bytes
    EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // '/' in 2 bytes: a path traversal trick
    EXPECT_FALSE(is_valid_utf8("\xc1\xbf"));          // U+007F in 2 bytes
    EXPECT_FALSE(is_valid_utf8("\xe0\x80\xaf"));      // '/' in 3 bytes
    EXPECT_FALSE(is_valid_utf8("\xe0\x9f\xbf"));      // U+07FF in 3 bytes
    EXPECT_FALSE(is_valid_utf8("\xf0\x80\x80\xaf"));  // '/' in 4 bytes
    EXPECT_FALSE(is_valid_utf8("\xf0\x8f\xbf\xbf"));  // U+FFFF in 4 bytes
}

TEST(utf8, rejects_utf16_surrogates) {
    EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));  // U+D800
    EXPECT_FALSE(is_valid_utf8("\xed\xaf\xbf"));  // U+DBFF
    EXPECT_FALSE(is_valid_utf8("\xed\xb0\x80"));  // U+DC00
    EXPECT_FALSE(is_valid_utf8("\xed\xbf\xbf"));  // U+DFFF
    EXPECT_FALSE(is_valid_utf8("\xed\xa0\xbd\xed\xb8\x80"));  // a CESU-8 surrogate pair
}

TEST(utf8, rejects_code_points_above_u10ffff) {
    EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // U+110000
    EXPECT_FALSE(is_valid_utf8("\xf5\x80\x80\x80"));
    EXPECT_FALSE(is_valid_utf8("\xf7\xbf\xbf\xbf"));
    EXPECT_FALSE(is_valid_utf8("\xf8\x88\x80\x80\x80"));  // old 5-byte form
    EXPECT_FALSE(is_valid_utf8("\xfc\x84\x80\x80\x80\x80"));  // old 6-byte form
    EXPECT_FALSE(is_valid_utf8("\xfe"));
    EXPECT_FALSE(is_valid_utf8("\xff"));
}

TEST(utf8, rejects_truncated_sequences) {
    EXPECT_FALSE(is_valid_utf8("\xc3"));
    EXPECT_FALSE(is_valid_utf8("\xe2\x82"));
    EXPECT_FALSE(is_valid_utf8("\xf0\x9f\x98"));
    EXPECT_FALSE(is_valid_utf8("abc\xf0\x9f"));
    EXPECT_FALSE(is_valid_utf8("\xe2\x82" "A"));  // a lead byte followed by too few continuation bytes
    EXPECT_FALSE(is_valid_utf8("\xc3" "A"));
}

TEST(utf8, rejects_stray_continuation_bytes) {
    EXPECT_FALSE(is_valid_utf8("\x80"));
    EXPECT_FALSE(is_valid_utf8("a\xbf"));
    EXPECT_FALSE(is_valid_utf8("\xc3\xa9\xa9"));  // one continuation byte too many
}

}  // namespace
}  // namespace peershare
