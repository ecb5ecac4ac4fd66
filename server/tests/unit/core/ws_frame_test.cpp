// Covers core/ws_frame: the examples of RFC 6455 §5.7 byte for byte, both ways; every length
// boundary; every malformed header; incomplete input; frames read one after another.
#include "peershare/core/ws_frame.hpp"

#include "peershare/core/encoding.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace peershare::ws_frame {
namespace {

constexpr std::uint64_t no_limit = std::numeric_limits<std::uint64_t>::max();

std::string hex(std::string_view h) {
    std::string compact;
    for (char c : h)
        if (c != ' ') compact.push_back(c);
    return *from_hex(compact);
}

// The key of §5.7's masked examples.
constexpr masking_key rfc_key{0x37, 0xfa, 0x21, 0x3d};

std::string server_frame(opcode op, std::string_view payload, bool fin = true) {
    std::string out;
    append_server_frame(out, op, payload, fin);
    return out;
}

std::string client_frame(opcode op, std::string_view payload, const masking_key& key, bool fin = true) {
    std::string out;
    append_client_frame(out, op, payload, key, fin);
    return out;
}

header header_of(std::string_view in, sender from, std::uint64_t max_payload = no_limit) {
    auto parsed = parse_header(in, from, max_payload);
    EXPECT_TRUE(std::holds_alternative<header>(parsed)) << "index " << parsed.index();
    return std::holds_alternative<header>(parsed) ? std::get<header>(parsed) : header{};
}

// The frame `in` holds exactly, its payload unmasked.
struct read_frame {
    header head;
    std::string payload;
};
read_frame frame_of(std::string_view in, sender from) {
    auto parsed = parse_frame(in, from, no_limit);
    if (!std::holds_alternative<frame>(parsed)) {
        ADD_FAILURE() << "not a complete frame (index " << parsed.index() << ")";
        return {};
    }
    const auto& f = std::get<frame>(parsed);
    EXPECT_EQ(f.size(), in.size()) << "the frame spans the input";
    std::string payload(f.payload);
    if (f.head.masked) apply_mask(payload, f.head.key);
    return {f.head, payload};
}

std::optional<error> error_of(std::string_view in, sender from, std::uint64_t max_payload = no_limit) {
    auto parsed = parse_header(in, from, max_payload);
    if (auto* e = std::get_if<error>(&parsed)) return *e;
    return std::nullopt;
}

bool needs_more(std::string_view in, sender from, std::uint64_t max_payload = no_limit) {
    return std::holds_alternative<need_more>(parse_header(in, from, max_payload));
}

TEST(ws_frame_rfc6455_examples, a_single_frame_unmasked_text_message) {
    const auto bytes = hex("81 05 48 65 6c 6c 6f");
    EXPECT_EQ(server_frame(opcode::text, "Hello"), bytes);
    auto f = frame_of(bytes, sender::server);
    EXPECT_TRUE(f.head.fin);
    EXPECT_EQ(f.head.op, opcode::text);
    EXPECT_FALSE(f.head.masked);
    EXPECT_EQ(f.head.size, 2u);
    EXPECT_EQ(f.payload, "Hello");
}

TEST(ws_frame_rfc6455_examples, a_single_frame_masked_text_message) {
    const auto bytes = hex("81 85 37 fa 21 3d 7f 9f 4d 51 58");
    EXPECT_EQ(client_frame(opcode::text, "Hello", rfc_key), bytes);
    auto f = frame_of(bytes, sender::client);
    EXPECT_TRUE(f.head.masked);
    EXPECT_EQ(f.head.key, rfc_key);
    EXPECT_EQ(f.head.size, 6u);
    EXPECT_EQ(f.payload, "Hello");
}

TEST(ws_frame_rfc6455_examples, a_fragmented_unmasked_text_message) {
    const auto first = hex("01 03 48 65 6c");
    const auto last = hex("80 02 6c 6f");
    EXPECT_EQ(server_frame(opcode::text, "Hel", false), first);
    EXPECT_EQ(server_frame(opcode::continuation, "lo"), last);
    auto a = frame_of(first, sender::server);
    EXPECT_FALSE(a.head.fin);
    EXPECT_EQ(a.head.op, opcode::text);
    EXPECT_EQ(a.payload, "Hel");
    auto b = frame_of(last, sender::server);
    EXPECT_TRUE(b.head.fin);
    EXPECT_EQ(b.head.op, opcode::continuation);
    EXPECT_EQ(b.payload, "lo");
}

TEST(ws_frame_rfc6455_examples, an_unmasked_ping_and_a_masked_pong) {
    const auto ping = hex("89 05 48 65 6c 6c 6f");
    const auto pong = hex("8a 85 37 fa 21 3d 7f 9f 4d 51 58");
    EXPECT_EQ(server_frame(opcode::ping, "Hello"), ping);
    EXPECT_EQ(client_frame(opcode::pong, "Hello", rfc_key), pong);
    EXPECT_EQ(frame_of(ping, sender::server).head.op, opcode::ping);
    auto p = frame_of(pong, sender::client);
    EXPECT_EQ(p.head.op, opcode::pong);
    EXPECT_EQ(p.payload, "Hello");
}

TEST(ws_frame_rfc6455_examples, a_256_byte_binary_message_takes_a_16_bit_length) {
    const std::string payload(256, '\xab');
    const auto bytes = hex("82 7e 01 00") + payload;
    EXPECT_EQ(server_frame(opcode::binary, payload), bytes);
    auto f = frame_of(bytes, sender::server);
    EXPECT_EQ(f.head.op, opcode::binary);
    EXPECT_EQ(f.head.size, 4u);
    EXPECT_EQ(f.head.payload_size, 256u);
    EXPECT_EQ(f.payload, payload);
}

TEST(ws_frame_rfc6455_examples, a_64_kib_binary_message_takes_a_64_bit_length) {
    std::string payload(64 * 1024, '\0');
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 7);
    const auto bytes = hex("82 7f 00 00 00 00 00 01 00 00") + payload;
    EXPECT_EQ(server_frame(opcode::binary, payload), bytes);
    auto f = frame_of(bytes, sender::server);
    EXPECT_EQ(f.head.size, 10u);
    EXPECT_EQ(f.head.payload_size, 65536u);
    EXPECT_EQ(f.payload, payload);
}

TEST(ws_frame_lengths, each_boundary_takes_the_minimal_length_encoding_both_ways) {
    struct boundary {
        std::size_t n;
        std::string length_bytes;  // the header after the first byte, mask bit clear
    };
    const boundary cases[] = {
        {0, hex("00")},
        {125, hex("7d")},
        {126, hex("7e 00 7e")},
        {65535, hex("7e ff ff")},
        {65536, hex("7f 00 00 00 00 00 01 00 00")},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.n);
        const std::string payload(c.n, 'p');
        EXPECT_EQ(header_size(c.n, false), 1 + c.length_bytes.size());
        EXPECT_EQ(header_size(c.n, true), 1 + c.length_bytes.size() + 4);

        const auto s = server_frame(opcode::text, payload);
        EXPECT_EQ(s, "\x81" + c.length_bytes + payload);
        auto sh = header_of(s, sender::server);
        EXPECT_EQ(sh.payload_size, c.n);
        EXPECT_EQ(sh.size, header_size(c.n, false));

        const auto m = client_frame(opcode::text, payload, rfc_key);
        std::string masked_length = c.length_bytes;
        masked_length[0] = static_cast<char>(masked_length[0] | 0x80);
        EXPECT_EQ(m.substr(0, 1 + masked_length.size() + 4), "\x81" + masked_length + "\x37\xfa\x21\x3d");
        auto mf = frame_of(m, sender::client);
        EXPECT_EQ(mf.head.payload_size, c.n);
        EXPECT_EQ(mf.payload, payload);
    }
}

TEST(ws_frame_lengths, a_payload_of_exactly_the_maximum_is_taken_and_one_byte_more_is_refused_in_each_encoding) {
    for (std::uint64_t max : {std::uint64_t{100}, std::uint64_t{1000}, std::uint64_t{70000}}) {
        SCOPED_TRACE(max);
        EXPECT_EQ(header_of(server_frame(opcode::text, std::string(max, 'x')), sender::server, max).payload_size, max);
        EXPECT_EQ(error_of(server_frame(opcode::text, std::string(max + 1, 'x')), sender::server, max), error::too_large);
    }
    // Refused from the header alone, before any payload arrives.
    EXPECT_EQ(error_of(hex("81 7f 00 00 00 00 7f ff ff ff"), sender::server, 1 << 20), error::too_large);
}

TEST(ws_frame_masking, a_zero_key_leaves_the_payload_as_it_is) {
    const auto m = client_frame(opcode::text, "unchanged", masking_key{});
    EXPECT_EQ(m, hex("81 89 00 00 00 00") + "unchanged");
    EXPECT_EQ(frame_of(m, sender::client).payload, "unchanged");
}

TEST(ws_frame_masking, masking_twice_restores_the_bytes) {
    std::string bytes = "any payload, of any length";
    apply_mask(bytes, rfc_key);
    EXPECT_NE(bytes, "any payload, of any length");
    apply_mask(bytes, rfc_key);
    EXPECT_EQ(bytes, "any payload, of any length");
}

TEST(ws_frame_malformed, reserved_bits_are_refused_each_of_them) {
    for (char rsv : {'\x40', '\x20', '\x10'}) {
        std::string f = hex("81 05") + "Hello";
        f[0] = static_cast<char>(f[0] | rsv);
        EXPECT_EQ(error_of(f, sender::server), error::reserved_bits) << int(rsv);
    }
}

TEST(ws_frame_malformed, undefined_opcodes_are_refused) {
    for (int op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
        const std::string f{static_cast<char>(0x80 | op), '\x00'};
        EXPECT_EQ(error_of(f, sender::server), error::reserved_opcode) << op;
    }
}

TEST(ws_frame_malformed, a_masked_server_frame_and_an_unmasked_client_frame_are_refused) {
    EXPECT_EQ(error_of(hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"), sender::server), error::masked_server_frame);
    EXPECT_EQ(error_of(hex("81 05 48 65 6c 6c 6f"), sender::client), error::unmasked_client_frame);
}

TEST(ws_frame_malformed, a_64_bit_length_with_the_top_bit_set_is_refused) {
    EXPECT_EQ(error_of(hex("82 7f 80 00 00 00 00 00 00 00"), sender::server), error::length_top_bit);
    EXPECT_EQ(error_of(hex("82 7f ff ff ff ff ff ff ff ff"), sender::server), error::length_top_bit);
    // The largest length without it is a length, refused only by the receiver's maximum.
    EXPECT_EQ(header_of(hex("82 7f 7f ff ff ff ff ff ff ff"), sender::server).payload_size,
              std::uint64_t{0x7fffffffffffffff});
}

TEST(ws_frame_malformed, a_length_longer_than_needed_is_refused) {
    EXPECT_EQ(error_of(hex("81 7e 00 7d"), sender::server), error::length_not_minimal);
    EXPECT_EQ(error_of(hex("81 7e 00 00"), sender::server), error::length_not_minimal);
    EXPECT_EQ(error_of(hex("81 7f 00 00 00 00 00 00 ff ff"), sender::server), error::length_not_minimal);
    EXPECT_EQ(error_of(hex("81 7f 00 00 00 00 00 00 00 05"), sender::server), error::length_not_minimal);
}

TEST(ws_frame_malformed, a_control_frame_over_125_bytes_is_refused_from_its_first_two_bytes) {
    for (auto op : {opcode::close, opcode::ping, opcode::pong}) {
        const auto at_limit = server_frame(op, std::string(125, 'c'));
        EXPECT_EQ(header_of(at_limit, sender::server).payload_size, 125u);
        const auto over = server_frame(op, std::string(126, 'c'));
        EXPECT_EQ(error_of(over.substr(0, 2), sender::server), error::control_too_large);
        EXPECT_EQ(error_of(over, sender::server), error::control_too_large);
    }
}

TEST(ws_frame_malformed, a_fragmented_control_frame_is_refused) {
    for (auto op : {opcode::close, opcode::ping, opcode::pong}) {
        EXPECT_EQ(error_of(server_frame(op, "x", false), sender::server), error::control_fragmented);
        EXPECT_EQ(error_of(client_frame(op, "x", rfc_key, false), sender::client), error::control_fragmented);
    }
}

TEST(ws_frame_malformed, every_error_has_a_sentence) {
    for (auto e : {error::reserved_bits, error::reserved_opcode, error::masked_server_frame, error::unmasked_client_frame,
                   error::length_top_bit, error::length_not_minimal, error::too_large, error::control_too_large,
                   error::control_fragmented}) {
        EXPECT_FALSE(describe(e).empty());
        EXPECT_NE(describe(e), "a malformed frame");
    }
}

TEST(ws_frame_incomplete, every_prefix_of_a_header_needs_more_and_a_frame_needs_its_whole_payload) {
    for (std::size_t n : {5u, 300u, 70000u}) {
        for (bool masked : {false, true}) {
            const std::string payload(n, 'z');
            const auto f = masked ? client_frame(opcode::binary, payload, rfc_key) : server_frame(opcode::binary, payload);
            const auto from = masked ? sender::client : sender::server;
            const auto size = header_size(n, masked);
            for (std::size_t cut = 0; cut < size; ++cut)
                EXPECT_TRUE(needs_more(std::string_view(f).substr(0, cut), from)) << n << " bytes, cut at " << cut;
            EXPECT_EQ(header_of(std::string_view(f).substr(0, size), from).size, size);
            for (std::size_t cut : {size, size + n / 2, size + n - 1})
                EXPECT_TRUE(std::holds_alternative<need_more>(parse_frame(std::string_view(f).substr(0, cut), from, no_limit)))
                    << n << " bytes, frame cut at " << cut;
        }
    }
}

TEST(ws_frame_incomplete, frames_are_read_one_after_another_from_one_buffer) {
    const std::string in = server_frame(opcode::text, "hello") + server_frame(opcode::ping, "") +
                           server_frame(opcode::text, std::string(256, 'y'), false) + server_frame(opcode::continuation, "!");
    std::string_view rest = in;
    std::vector<std::pair<opcode, std::size_t>> seen;
    std::vector<bool> fins;
    while (!rest.empty()) {
        auto parsed = parse_frame(rest, sender::server, no_limit);
        ASSERT_TRUE(std::holds_alternative<frame>(parsed));
        const auto& f = std::get<frame>(parsed);
        seen.emplace_back(f.head.op, f.payload.size());
        fins.push_back(f.head.fin);
        rest.remove_prefix(f.size());
    }
    const std::vector<std::pair<opcode, std::size_t>> want{
        {opcode::text, 5}, {opcode::ping, 0}, {opcode::text, 256}, {opcode::continuation, 1}};
    EXPECT_EQ(seen, want);
    EXPECT_EQ(fins, (std::vector<bool>{true, true, false, true}));
}

}  // namespace
}  // namespace peershare::ws_frame
