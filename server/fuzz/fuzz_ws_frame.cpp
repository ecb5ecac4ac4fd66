// Fuzz target of core/ws_frame: parse_header and parse_frame on any bytes, for both senders and
// several receiver maximums, and both writers with the input as payload.
#include "fuzz_check.hpp"

#include "peershare/core/ws_frame.hpp"

#include <algorithm>
#include <limits>

namespace {

using namespace peershare::ws_frame;
using peershare::fuzz::check;

constexpr std::uint64_t maximums[] = {0, max_control_payload, 0xFFFF, 1 << 20, std::numeric_limits<std::uint64_t>::max()};

bool same(const header& a, const header& b) {
    return a.fin == b.fin && a.op == b.op && a.masked == b.masked && a.key == b.key && a.payload_size == b.payload_size &&
           a.size == b.size;
}

bool is_control(opcode op) { return (static_cast<std::uint8_t>(op) & 0x08) != 0; }

void check_header(std::string_view in, sender from, std::uint64_t max) {
    const auto parsed = parse_header(in, from, max);
    if (const auto* h = std::get_if<header>(&parsed)) {
        check(h->size <= in.size(), "a header is read only from bytes that are there");
        check(h->size == header_size(h->payload_size, h->masked), "the header's size follows from its length and mask");
        check(h->payload_size <= max, "no payload over the maximum is taken");
        check(h->masked == (from == sender::client), "only a client's frames are masked");
        check(!is_control(h->op) || (h->fin && h->payload_size <= max_control_payload), "control frames are final and short");
        const auto alone = parse_header(in.substr(0, h->size), from, max);
        check(std::holds_alternative<header>(alone) && same(std::get<header>(alone), *h),
              "the header's own bytes are all it takes");
        for (std::size_t k = 0; k < h->size; ++k)
            check(std::holds_alternative<need_more>(parse_header(in.substr(0, k), from, max)), "a header's prefix needs more");
    } else if (const auto* e = std::get_if<error>(&parsed)) {
        for (std::size_t k = 0; k < std::min(in.size(), max_header_size); ++k) {
            const auto part = parse_header(in.substr(0, k), from, max);
            const auto* pe = std::get_if<error>(&part);
            check(std::holds_alternative<need_more>(part) || (pe && *pe == *e),
                  "a prefix of a malformed header needs more or is malformed the same way");
        }
    } else {
        check(in.size() < max_header_size, "a header never needs more than max_header_size bytes");
    }

    const auto whole = parse_frame(in, from, max);
    if (const auto* e = std::get_if<error>(&parsed)) {
        check(std::holds_alternative<error>(whole) && std::get<error>(whole) == *e, "a frame is malformed as its header is");
        return;
    }
    const auto* h = std::get_if<header>(&parsed);
    const auto* f = std::get_if<frame>(&whole);
    check(f ? h && same(f->head, *h) : !h || in.size() - h->size < h->payload_size,
          "a frame is complete exactly when its header is and its payload is there");
    if (!f) return;
    check(f->payload.data() == in.data() + h->size && f->size() <= in.size(), "the payload is the bytes after the header");

    // Written again from what was read, the frame is the same bytes: each length was minimal.
    std::string payload(f->payload);
    std::string again;
    if (f->head.masked) {
        apply_mask(payload, f->head.key);
        append_client_frame(again, f->head.op, payload, f->head.key, f->head.fin);
    } else {
        append_server_frame(again, f->head.op, payload, f->head.fin);
    }
    check(again == in.substr(0, f->size()), "a frame read and written again is the same bytes");
}

// The input as the payload of a frame of each kind: read back as it was written.
void check_writers(std::string_view in) {
    masking_key key{};
    std::copy_n(in.begin(), std::min(in.size(), key.size()), key.begin());
    for (bool masked : {false, true}) {
        std::string out = "prefix";  // appended, not overwritten
        if (masked) append_client_frame(out, opcode::binary, in, key);
        else append_server_frame(out, opcode::binary, in);
        check(out.starts_with("prefix"), "a writer appends");
        const std::string_view written = std::string_view(out).substr(6);
        check(written.size() == header_size(in.size(), masked) + in.size(), "a frame is its header and its payload");
        const auto parsed = parse_frame(written, masked ? sender::client : sender::server,
                                        std::numeric_limits<std::uint64_t>::max());
        const auto* f = std::get_if<frame>(&parsed);
        check(f && f->size() == written.size() && f->head.fin && f->head.op == opcode::binary, "a written frame reads back whole");
        std::string payload(f->payload);
        if (masked) apply_mask(payload, f->head.key);
        check(payload == in, "a written frame carries its payload");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in = peershare::fuzz::bytes(data, size);
    for (auto from : {sender::server, sender::client})
        for (auto max : maximums) check_header(in, from, max);
    check_writers(in);
    return 0;
}
