// STUN Binding request parsing and success response writing.
#include "peershare/core/stun.hpp"

#include <array>

namespace peershare::stun {
namespace {

constexpr std::uint16_t binding_request_type = 0x0001;
constexpr std::uint16_t binding_success_type = 0x0101;
constexpr std::uint16_t attr_xor_mapped_address = 0x0020;
constexpr std::uint16_t attr_fingerprint = 0x8028;
constexpr std::uint32_t fingerprint_xor = 0x5354554e;

// Comprehension-required attributes a Binding request may carry that we can ignore safely.
constexpr std::array<std::uint16_t, 5> known_required{
    0x0006,  // USERNAME (short-term credentials: not used by this responder)
    0x0008,  // MESSAGE-INTEGRITY
    0x001C,  // MESSAGE-INTEGRITY-SHA256
    0x0024,  // PRIORITY (ICE)
    0x0025,  // USE-CANDIDATE (ICE)
};

std::uint16_t u16(std::string_view b, std::size_t at) {
    return static_cast<std::uint16_t>(static_cast<unsigned char>(b[at]) << 8 | static_cast<unsigned char>(b[at + 1]));
}
std::uint32_t u32(std::string_view b, std::size_t at) {
    return static_cast<std::uint32_t>(u16(b, at)) << 16 | u16(b, at + 2);
}
void put16(std::string& out, std::uint16_t v) {
    out.push_back(static_cast<char>(v >> 8));
    out.push_back(static_cast<char>(v & 0xff));
}
void put32(std::string& out, std::uint32_t v) {
    put16(out, static_cast<std::uint16_t>(v >> 16));
    put16(out, static_cast<std::uint16_t>(v & 0xffff));
}

constexpr std::array<std::uint32_t, 256> make_crc_table() {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        t[i] = c;
    }
    return t;
}
constexpr auto crc_table = make_crc_table();

}  // namespace

std::uint32_t crc32(std::string_view bytes) noexcept {
    std::uint32_t c = 0xFFFFFFFFu;
    for (unsigned char b : bytes) c = crc_table[(c ^ b) & 0xff] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

std::optional<binding_request> parse_binding_request(std::string_view d) {
    if (d.size() < header_size || d.size() > max_request_size) return std::nullopt;
    if (u16(d, 0) != binding_request_type) return std::nullopt;  // also checks the two zero bits
    std::size_t length = u16(d, 2);
    if (length % 4 != 0 || header_size + length != d.size()) return std::nullopt;
    if (u32(d, 4) != magic_cookie) return std::nullopt;
    std::size_t at = header_size;
    while (at < d.size()) {
        if (d.size() - at < 4) return std::nullopt;
        std::uint16_t type = u16(d, at);
        std::size_t len = u16(d, at + 2);
        std::size_t padded = (len + 3) / 4 * 4;
        if (d.size() - at - 4 < padded) return std::nullopt;
        if (type == attr_fingerprint) {
            // FINGERPRINT is last and covers everything before it.
            if (len != 4 || at + 8 != d.size()) return std::nullopt;
            if ((crc32(d.substr(0, at)) ^ fingerprint_xor) != u32(d, at + 4)) return std::nullopt;
        } else if (type < 0x8000) {
            bool known = false;
            for (auto k : known_required) known = known || k == type;
            if (!known) return std::nullopt;
        }
        at += 4 + padded;
    }
    binding_request r{};
    for (std::size_t i = 0; i < r.id.size(); ++i) r.id[i] = static_cast<unsigned char>(d[8 + i]);
    return r;
}

std::string binding_success(const transaction_id& id, const address& mapped) {
    std::string out;
    out.reserve(64);
    put16(out, binding_success_type);
    put16(out, 0);  // length, set below
    put32(out, magic_cookie);
    out.append(reinterpret_cast<const char*>(id.data()), id.size());

    // XOR-MAPPED-ADDRESS: port XOR the cookie's high half, address XOR cookie (+ transaction id for IPv6).
    std::size_t addr_len = mapped.v6 ? 16 : 4;
    put16(out, attr_xor_mapped_address);
    put16(out, static_cast<std::uint16_t>(4 + addr_len));
    out.push_back(0);
    out.push_back(mapped.v6 ? 0x02 : 0x01);
    put16(out, static_cast<std::uint16_t>(mapped.port ^ (magic_cookie >> 16)));
    std::array<unsigned char, 16> key{};
    for (int i = 0; i < 4; ++i) key[static_cast<std::size_t>(i)] = static_cast<unsigned char>(magic_cookie >> (24 - 8 * i));
    for (std::size_t i = 0; i < 12; ++i) key[4 + i] = id[i];
    for (std::size_t i = 0; i < addr_len; ++i) out.push_back(static_cast<char>(mapped.bytes[i] ^ key[i]));

    // FINGERPRINT over the message with its length already counting the fingerprint.
    std::size_t length = out.size() - header_size + 8;
    out[2] = static_cast<char>(length >> 8);
    out[3] = static_cast<char>(length & 0xff);
    std::uint32_t fp = crc32(out) ^ fingerprint_xor;
    put16(out, attr_fingerprint);
    put16(out, 4);
    put32(out, fp);
    return out;
}

}  // namespace peershare::stun
