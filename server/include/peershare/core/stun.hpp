// The STUN binding responder's protocol (RFC 8489, sans-io): recognising a Binding request and
// writing its success response with XOR-MAPPED-ADDRESS and FINGERPRINT. Anything else is not
// answered: a datagram that is not a well-formed Binding request gets no reply at all, so the
// responder cannot be used to reflect traffic at a third party with a larger answer.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace peershare::stun {

inline constexpr std::uint32_t magic_cookie = 0x2112A442;
inline constexpr std::size_t header_size = 20;
// Larger requests are not Binding requests a browser sends; refusing them bounds the work per datagram.
inline constexpr std::size_t max_request_size = 548;

using transaction_id = std::array<unsigned char, 12>;

struct binding_request {
    transaction_id id;
};

// A Binding request, or nullopt when `datagram` is anything else: another message class or
// method, a bad header, length or magic cookie, malformed attributes, a FINGERPRINT that does not
// match, or an unknown comprehension-required attribute (RFC 8489 would answer 420; we stay silent).
std::optional<binding_request> parse_binding_request(std::string_view datagram);

struct address {
    bool v6 = false;
    std::array<unsigned char, 16> bytes{};  // network order; the first 4 for IPv4
    std::uint16_t port = 0;
};

// The Binding success response telling the client `mapped` (its address as the server saw it).
std::string binding_success(const transaction_id& id, const address& mapped);

// CRC-32 (ISO-HDLC) as FINGERPRINT uses it, before the XOR with 0x5354554e.
std::uint32_t crc32(std::string_view bytes) noexcept;

}  // namespace peershare::stun
