// Fuzz target of the STUN responder's codec: stun::parse_binding_request and the binding_success response to it.
#include "fuzz_check.hpp"

#include "peershare/core/stun.hpp"

#include <algorithm>
#include <cstring>

namespace {

using namespace peershare::stun;
using peershare::fuzz::check;

bool holds_id(std::string_view b, const transaction_id& id) {
    return b.size() >= header_size && std::memcmp(b.data() + 8, id.data(), id.size()) == 0;
}
std::uint32_t u32_at(std::string_view b, std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(b[at + i]);
    return v;
}
std::uint16_t u16_at(std::string_view b, std::size_t at) {
    return static_cast<std::uint16_t>(static_cast<unsigned char>(b[at]) << 8 | static_cast<unsigned char>(b[at + 1]));
}

// Checks a success response against RFC 8489 as a client reads it: header, the one
// XOR-MAPPED-ADDRESS (which must decode to `mapped`), then a FINGERPRINT over all before it.
void check_response(std::string_view r, const transaction_id& id, const address& mapped) {
    const std::size_t addr_len = mapped.v6 ? 16 : 4;
    check(r.size() == header_size + 4 + 4 + addr_len + 8, "the response holds exactly its two attributes");
    check(u16_at(r, 0) == 0x0101, "the response is a Binding success response");
    check(u16_at(r, 2) == r.size() - header_size, "the header's length counts every attribute");
    check(u32_at(r, 4) == magic_cookie, "the response carries the magic cookie");
    check(holds_id(r, id), "the response echoes the transaction id");

    std::size_t at = header_size;
    check(u16_at(r, at) == 0x0020 && u16_at(r, at + 2) == 4 + addr_len, "XOR-MAPPED-ADDRESS comes first");
    check(r[at + 4] == 0 && r[at + 5] == (mapped.v6 ? 2 : 1), "the address family matches");
    check((u16_at(r, at + 6) ^ (magic_cookie >> 16)) == mapped.port, "the port decodes to the mapped port");
    for (std::size_t i = 0; i < addr_len; ++i) {
        // The key is the magic cookie followed by the transaction id.
        unsigned char key = i < 4 ? static_cast<unsigned char>(magic_cookie >> (24 - 8 * i)) : id[i - 4];
        check((static_cast<unsigned char>(r[at + 8 + i]) ^ key) == mapped.bytes[i], "the address decodes to the mapped one");
    }
    at += 8 + addr_len;
    check(u16_at(r, at) == 0x8028 && u16_at(r, at + 2) == 4, "FINGERPRINT comes last");
    check((crc32(r.substr(0, at)) ^ 0x5354554eu) == u32_at(r, at + 4), "FINGERPRINT covers the message before it");
    check(!parse_binding_request(r), "a response is never taken for a request");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view d = peershare::fuzz::bytes(data, size);
    auto request = parse_binding_request(d);
    if (request) {
        check(d.size() >= header_size && d.size() <= max_request_size && d.size() % 4 == 0,
              "an accepted request has a whole number of attribute words and a bounded size");
        check(u16_at(d, 0) == 0x0001 && u32_at(d, 4) == magic_cookie, "an accepted request is a Binding request");
        check(holds_id(d, request->id), "the transaction id is read from the header");
    }

    // Answer with a mapped address taken from the input's last bytes, so it varies with the input;
    // an input that is not a request still exercises the writer, under a transaction id from its head.
    transaction_id id{};
    if (request) id = request->id;
    else std::copy_n(d.begin(), std::min(d.size(), id.size()), id.begin());
    address mapped;
    const std::size_t tail = std::min(d.size(), mapped.bytes.size());
    std::copy_n(d.end() - static_cast<std::ptrdiff_t>(tail), tail, mapped.bytes.begin());
    mapped.port = static_cast<std::uint16_t>(mapped.bytes[0] << 8 | mapped.bytes[15]);
    for (bool v6 : {true, false}) {  // IPv4 last: it clears the bytes past the first 4
        mapped.v6 = v6;
        if (!v6) std::fill(mapped.bytes.begin() + 4, mapped.bytes.end(), 0);
        check_response(binding_success(id, mapped), id, mapped);
    }
    return 0;
}
