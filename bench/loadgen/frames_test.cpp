// Unit tests of the load generator's WebSocket framing (frames.hpp) against RFC 6455's layout.
#include "frames.hpp"

#include <gtest/gtest.h>

#include <string>

namespace peershare::loadgen {
namespace {

TEST(loadgen_frames, client_frames_are_final_masked_with_a_zero_key_and_sized_in_three_ways) {
    for (std::size_t n : {0u, 5u, 125u, 126u, 65535u, 65536u}) {
        std::string out;
        append_client_frame(out, opcode::text, std::string(n, 'x'));
        ASSERT_GE(out.size(), 6u);
        EXPECT_EQ(static_cast<unsigned char>(out[0]), 0x81);
        const auto b1 = static_cast<unsigned char>(out[1]);
        EXPECT_TRUE(b1 & 0x80) << "masked";
        std::size_t header = n < 126 ? 2 : n <= 0xFFFF ? 4 : 10;
        EXPECT_EQ(b1 & 0x7F, n < 126 ? n : n <= 0xFFFF ? 126u : 127u);
        EXPECT_EQ(out.substr(header, 4), std::string(4, '\0')) << "masking key";
        EXPECT_EQ(out.size(), header + 4 + n);
    }
}

TEST(loadgen_frames, server_frames_parse_when_complete_and_one_after_another) {
    std::string in = std::string("\x81\x05hello", 7) + std::string("\x89\x00", 2);
    in += std::string("\x01\x7E\x01\x00", 4) + std::string(256, 'y');  // non-final, 16-bit length
    auto first = parse_server_frame(in);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->op, opcode::text);
    EXPECT_TRUE(first->fin);
    EXPECT_EQ(first->payload, "hello");
    EXPECT_EQ(first->size, 7u);
    auto second = parse_server_frame(std::string_view(in).substr(7));
    ASSERT_TRUE(second);
    EXPECT_EQ(second->op, opcode::ping);
    EXPECT_EQ(second->payload.size(), 0u);
    auto third = parse_server_frame(std::string_view(in).substr(9));
    ASSERT_TRUE(third);
    EXPECT_FALSE(third->fin);
    EXPECT_EQ(third->payload.size(), 256u);
    for (std::size_t cut = 0; cut < in.size() - 9; ++cut)
        EXPECT_FALSE(parse_server_frame(std::string_view(in).substr(9, cut))) << "incomplete at " << cut;
}

TEST(loadgen_frames, masked_or_reserved_server_frames_are_errors) {
    EXPECT_THROW(parse_server_frame(std::string("\x81\x81", 2) + "abcdx"), frame_error);
    EXPECT_THROW(parse_server_frame(std::string("\xC1\x01x", 3)), frame_error);
    EXPECT_THROW(parse_server_frame(std::string("\x81\x7F\x00\x00\x00\x00\x10\x00\x00\x00", 10)), frame_error);
}

TEST(loadgen_frames, upgrade_head_is_found_and_checked) {
    EXPECT_FALSE(response_head_length("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"));
    std::string head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
    EXPECT_EQ(response_head_length(head + "\x81\x00"), head.size());
    EXPECT_TRUE(upgrade_accepted(head));
    EXPECT_FALSE(upgrade_accepted("HTTP/1.1 403 Forbidden\r\n\r\n"));
    auto req = upgrade_request("127.0.0.1:8080", "/ws");
    EXPECT_EQ(req.rfind("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n", 0), 0u);
    EXPECT_NE(req.find("Upgrade: websocket\r\n"), std::string::npos);
    EXPECT_TRUE(req.ends_with("\r\n\r\n"));
}

}  // namespace
}  // namespace peershare::loadgen
