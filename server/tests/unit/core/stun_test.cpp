// Covers core/stun: Binding request recognition (RFC 5769 sample, malformed and foreign datagrams)
// and the success response (XOR-MAPPED-ADDRESS values from RFC 5769, FINGERPRINT).
#include "peershare/core/stun.hpp"

#include "peershare/core/encoding.hpp"

#include <gtest/gtest.h>

namespace peershare::stun {
namespace {

std::string hex(std::string_view h) {
    std::string compact;
    for (char c : h)
        if (c != ' ' && c != '\n') compact.push_back(c);
    return *from_hex(compact);
}

// RFC 5769 §2.1: a Binding request with SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME,
// MESSAGE-INTEGRITY and FINGERPRINT.
const std::string rfc5769_request = hex(
    "000100582112a442b7e7a701bc34d686fa87dfae"
    "802200105354554e207465737420636c69656e74"
    "002400046e0001ff80290008932ff9b151263b36"
    "000600096576746a3a6836765920202000080014"
    "9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2"
    "80280004e57a3bcf");

const transaction_id rfc_id{0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

std::string minimal_request() {
    return hex("000100002112a442") + std::string(reinterpret_cast<const char*>(rfc_id.data()), rfc_id.size());
}

TEST(stun_parse, accepts_the_rfc5769_sample_request_and_reads_its_transaction_id) {
    auto r = parse_binding_request(rfc5769_request);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->id, rfc_id);
}

TEST(stun_parse, accepts_a_request_without_attributes) {
    EXPECT_TRUE(parse_binding_request(minimal_request()));
}

TEST(stun_parse, ignores_a_request_whose_fingerprint_does_not_match) {
    auto bad = rfc5769_request;
    bad.back() ^= 1;
    EXPECT_FALSE(parse_binding_request(bad));
}

TEST(stun_parse, ignores_bad_headers) {
    auto r = minimal_request();
    EXPECT_FALSE(parse_binding_request(r.substr(0, 19))) << "shorter than a header";
    auto cookie = r;
    cookie[4] = 0;
    EXPECT_FALSE(parse_binding_request(cookie)) << "wrong magic cookie";
    auto type = r;
    type[1] = 0x11;
    EXPECT_FALSE(parse_binding_request(type)) << "an indication, not a request";
    auto top = r;
    top[0] = static_cast<char>(0x40);
    EXPECT_FALSE(parse_binding_request(top)) << "first two bits set: not STUN";
    auto length = r + std::string(4, '\0');
    EXPECT_FALSE(parse_binding_request(length)) << "length field does not match the datagram";
    auto odd = hex("000100022112a442") + r.substr(8) + std::string(2, '\0');
    EXPECT_FALSE(parse_binding_request(odd)) << "length not a multiple of 4";
}

TEST(stun_parse, ignores_malformed_attributes) {
    // An attribute claiming more bytes than the message holds.
    auto r = hex("000100082112a442") + minimal_request().substr(8) + hex("80220010 41414141");
    EXPECT_FALSE(parse_binding_request(r));
}

TEST(stun_parse, ignores_an_unknown_comprehension_required_attribute) {
    auto r = hex("000100082112a442") + minimal_request().substr(8) + hex("7777 0004 01020304");
    EXPECT_FALSE(parse_binding_request(r));
    auto optional = hex("000100082112a442") + minimal_request().substr(8) + hex("f777 0004 01020304");
    EXPECT_TRUE(parse_binding_request(optional)) << "comprehension-optional attributes are skipped";
}

TEST(stun_parse, ignores_datagrams_that_are_not_stun_or_too_large) {
    EXPECT_FALSE(parse_binding_request(""));
    EXPECT_FALSE(parse_binding_request("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    std::string big = hex("00010230 2112a442") + minimal_request().substr(8) + std::string(0x230, '\0');
    EXPECT_FALSE(parse_binding_request(big));
}

TEST(stun_response, xor_mapped_address_of_rfc5769_ipv4_sample) {
    address a;
    a.bytes = {192, 0, 2, 1};
    a.port = 32853;
    auto out = binding_success(rfc_id, a);
    ASSERT_GE(out.size(), 32u);
    EXPECT_EQ(to_hex(out.substr(0, 2)), "0101");
    EXPECT_EQ(to_hex(out.substr(8, 12)), "b7e7a701bc34d686fa87dfae");
    EXPECT_EQ(to_hex(out.substr(20, 12)), "002000080001a147e112a643");
}

TEST(stun_response, xor_mapped_address_of_rfc5769_ipv6_sample) {
    address a;
    a.v6 = true;
    a.bytes = {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
    a.port = 32853;
    auto out = binding_success(rfc_id, a);
    EXPECT_EQ(to_hex(out.substr(20, 24)), "002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9");
}

TEST(stun_response, has_a_correct_length_and_a_fingerprint_over_the_rest) {
    address a;
    a.bytes = {127, 0, 0, 1};
    a.port = 50000;
    auto out = binding_success(rfc_id, a);
    EXPECT_EQ(out.size(), 40u) << "header, XOR-MAPPED-ADDRESS, FINGERPRINT: at most twice a minimal request";
    EXPECT_EQ(static_cast<std::size_t>(static_cast<unsigned char>(out[2]) << 8 | static_cast<unsigned char>(out[3])),
              out.size() - header_size);
    auto fp_at = out.size() - 8;
    EXPECT_EQ(to_hex(out.substr(fp_at, 4)), "80280004");
    std::uint32_t fp = 0;
    for (int i = 0; i < 4; ++i) fp = fp << 8 | static_cast<unsigned char>(out[fp_at + 4 + static_cast<std::size_t>(i)]);
    EXPECT_EQ(fp, crc32(out.substr(0, fp_at)) ^ 0x5354554eu);
}

TEST(stun_crc32, matches_the_standard_check_value) {
    EXPECT_EQ(crc32("123456789"), 0xCBF43926u);
}

}  // namespace
}  // namespace peershare::stun
