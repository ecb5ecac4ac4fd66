// Hex, base64 and UTF-8 validation.
#include "peershare/core/encoding.hpp"

#include <array>
#include <cstdint>

namespace peershare {
namespace {

constexpr std::string_view hex_digits = "0123456789abcdef";
constexpr std::string_view b64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

constexpr std::array<std::int8_t, 256> make_b64_table() {
    std::array<std::int8_t, 256> t{};
    for (auto& v : t) v = -1;
    for (std::size_t i = 0; i < b64_alphabet.size(); ++i)
        t[static_cast<unsigned char>(b64_alphabet[i])] = static_cast<std::int8_t>(i);
    return t;
}
constexpr auto b64_table = make_b64_table();

}  // namespace

std::string to_hex(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out.push_back(hex_digits[c >> 4]);
        out.push_back(hex_digits[c & 0xf]);
    }
    return out;
}

std::optional<std::string> from_hex(std::string_view text) {
    if (text.size() % 2 != 0) return std::nullopt;
    std::string out;
    out.reserve(text.size() / 2);
    for (std::size_t i = 0; i < text.size(); i += 2) {
        int hi = hex_value(text[i]);
        int lo = hex_value(text[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<char>(hi << 4 | lo));
    }
    return out;
}

std::string to_base64(std::string_view bytes) {
    std::string out;
    out.reserve(base64_length(bytes.size()));
    std::size_t i = 0;
    auto at = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k])); };
    for (; i + 3 <= bytes.size(); i += 3) {
        std::uint32_t v = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
        out.push_back(b64_alphabet[v >> 18 & 63]);
        out.push_back(b64_alphabet[v >> 12 & 63]);
        out.push_back(b64_alphabet[v >> 6 & 63]);
        out.push_back(b64_alphabet[v & 63]);
    }
    std::size_t rest = bytes.size() - i;
    if (rest == 1) {
        std::uint32_t v = at(i) << 16;
        out.push_back(b64_alphabet[v >> 18 & 63]);
        out.push_back(b64_alphabet[v >> 12 & 63]);
        out.append("==");
    } else if (rest == 2) {
        std::uint32_t v = at(i) << 16 | at(i + 1) << 8;
        out.push_back(b64_alphabet[v >> 18 & 63]);
        out.push_back(b64_alphabet[v >> 12 & 63]);
        out.push_back(b64_alphabet[v >> 6 & 63]);
        out.push_back('=');
    }
    return out;
}

std::optional<std::string> from_base64(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        bool last = i + 4 == text.size();
        std::int8_t v[4];
        int pad = 0;
        for (int k = 0; k < 4; ++k) {
            char c = text[i + static_cast<std::size_t>(k)];
            if (c == '=' && last && k >= 2) {
                v[k] = 0;
                ++pad;
                continue;
            }
            if (pad > 0) return std::nullopt;  // data after padding
            v[k] = b64_table[static_cast<unsigned char>(c)];
            if (v[k] < 0) return std::nullopt;
        }
        std::uint32_t n = static_cast<std::uint32_t>(v[0]) << 18 | static_cast<std::uint32_t>(v[1]) << 12 |
                          static_cast<std::uint32_t>(v[2]) << 6 | static_cast<std::uint32_t>(v[3]);
        out.push_back(static_cast<char>(n >> 16 & 0xff));
        if (pad < 2) out.push_back(static_cast<char>(n >> 8 & 0xff));
        if (pad < 1) out.push_back(static_cast<char>(n & 0xff));
        // Canonical form: the bits that padding drops must be zero.
        if (pad == 2 && (n & 0xffff) != 0) return std::nullopt;
        if (pad == 1 && (n & 0xff) != 0) return std::nullopt;
    }
    return out;
}

bool is_valid_utf8(std::string_view text) {
    std::size_t i = 0;
    const std::size_t n = text.size();
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    while (i < n) {
        unsigned char c = byte(i);
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        std::uint32_t cp;
        if ((c & 0xe0) == 0xc0) {
            len = 2;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > n) return false;
        for (std::size_t k = 1; k < len; ++k) {
            unsigned char cc = byte(i + k);
            if ((cc & 0xc0) != 0x80) return false;
            cp = cp << 6 | (cc & 0x3f);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return false;
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += len;
    }
    return true;
}

}  // namespace peershare
