// Covers net/corked_stream over a real loopback connection: writes gathered while the connection is
// busy, the buffer full, a failed send, the stream destroyed while a send or a write is in flight,
// teardown, and the waiting scope. This executable is built with AddressSanitizer
// (server/tests/CMakeLists.txt): a completion that touches a destroyed stream aborts the run
// instead of passing by luck.
#include "net/corked_stream.hpp"

#include "peershare/core/ws_frame.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace peershare::net {
namespace {

using namespace std::chrono_literals;
using append_result = corked_stream::append_result;

// How long a test drives the event loop for something that happens at once on loopback before it
// fails: generous for a loaded machine, never reached by a passing test.
constexpr auto step_timeout = 5s;

// Kernel buffers asked for by the tests that need a send to stay in flight: Linux doubles the value
// for its bookkeeping, still a few KiB, far below what those tests send, so such a send completes
// only once the peer reads.
constexpr int small_kernel_buffer = 4096;

// Larger than cork_limit and than the small kernel buffers together: one frame of it is sent at
// once and stays in flight while the peer does not read.
constexpr std::size_t large_payload = 1024 * 1024;

// What an operation completed with, once it did.
struct outcome {
    bool done = false;
    error_code error;
};
// A completion handler that records into `o`.
auto record(outcome& o) {
    return [&o](error_code ec, auto&&...) {
        o.error = ec;
        o.done = true;
    };
}

class corked_stream_test : public ::testing::Test {
protected:
    // A connected pair on loopback: `stream` is the server's end, under test; `peer` the client's.
    void connect(bool small_buffers = false) {
        tcp::acceptor acceptor(ioc, {asio::ip::address_v4::loopback(), 0});
        peer.open(tcp::v4());
        if (small_buffers) peer.set_option(asio::socket_base::receive_buffer_size(small_kernel_buffer));
        peer.connect(acceptor.local_endpoint());
        tcp::socket server = acceptor.accept();
        server.set_option(tcp::no_delay(true));  // as the listener sets it
        if (small_buffers) server.set_option(asio::socket_base::send_buffer_size(small_kernel_buffer));
        stream = std::make_unique<corked_stream>(beast::tcp_stream(std::move(server)));
    }

    // Runs the event loop until `done()` holds; false if it does not within step_timeout (or the
    // loop runs out of work first, after which nothing could change).
    template <class Done>
    bool drive_until(Done done) {
        const auto deadline = std::chrono::steady_clock::now() + step_timeout;
        while (!done()) {
            ioc.restart();
            if (ioc.run_one_until(deadline) == 0) return done();
        }
        return true;
    }

    // Runs until no work is left; false if some is still pending after step_timeout.
    bool drive_until_idle() {
        ioc.restart();
        ioc.run_for(step_timeout);
        return ioc.stopped();
    }

    // Runs what is ready now (completions already due, sockets already readable), without waiting.
    void settle() {
        ioc.restart();
        ioc.poll();
    }

    // The peer reads from now on, into `received`; at the end of the stream it shuts its side
    // down too, as a client answering a close does.
    void read_peer() {
        peer.async_read_some(asio::buffer(peer_buffer), [this](error_code ec, std::size_t n) {
            received.append(peer_buffer.data(), n);
            if (ec) {
                peer_error = ec;
                error_code ignored;
                peer.shutdown(tcp::socket::shutdown_send, ignored);
                return;
            }
            read_peer();
        });
    }

    // Starts a read on the stream: the connection now waits for input. The read itself never
    // completes in these tests (the peer sends nothing); its handler only records that it did.
    void wait_for_input() {
        stream->async_read_some(asio::buffer(stream_buffer), [this](error_code, std::size_t) { stream_read_completed = true; });
    }

    // The text frames `bytes` holds, in order; fails the test on anything else.
    static std::vector<std::string> text_frames(std::string_view bytes) {
        std::vector<std::string> out;
        while (!bytes.empty()) {
            auto parsed = ws_frame::parse_frame(bytes, ws_frame::sender::server, std::numeric_limits<std::uint64_t>::max());
            const auto* f = std::get_if<ws_frame::frame>(&parsed);
            if (!f) {
                ADD_FAILURE() << "not a whole server frame after " << out.size() << " frames";
                break;
            }
            EXPECT_TRUE(f->head.fin);
            EXPECT_EQ(f->head.op, ws_frame::opcode::text);
            out.emplace_back(f->payload);
            bytes.remove_prefix(f->size());
        }
        return out;
    }

    // `op` waits for the send in flight when the stream is destroyed: it must complete with
    // operation_aborted (without touching the stream), and nothing may be left running.
    void destroy_the_stream_while_waiting(const outcome& op) {
        settle();
        ASSERT_FALSE(op.done) << "it did not wait for the send in flight";
        stream.reset();
        ASSERT_TRUE(drive_until([&] { return op.done; }));
        EXPECT_EQ(op.error, asio::error::operation_aborted);
        EXPECT_TRUE(drive_until_idle());
    }

    static std::size_t framed_size(std::size_t payload) { return ws_frame::header_size(payload, false) + payload; }

    asio::io_context ioc;  // first: destroyed last, after every object that uses it
    tcp::socket peer{ioc};
    std::unique_ptr<corked_stream> stream;
    std::array<char, 16 * 1024> peer_buffer{};
    std::string received;
    error_code peer_error;
    std::array<char, 64> stream_buffer{};
    bool stream_read_completed = false;
};

TEST_F(corked_stream_test, writes_made_while_busy_stay_gathered_until_the_connection_waits_for_input) {
    connect();
    stream->cork();
    const std::vector<std::string> messages{"one", "two", "three"};
    for (const auto& m : messages) ASSERT_EQ(stream->append_text_frame(m), append_result::appended);
    settle();
    EXPECT_EQ(peer.available(), 0u) << "nothing leaves while the connection is busy";

    read_peer();
    wait_for_input();
    const std::size_t total = framed_size(3) + framed_size(3) + framed_size(5);
    ASSERT_TRUE(drive_until([&] { return received.size() >= total; })) << received.size() << " bytes arrived";
    EXPECT_EQ(text_frames(received), messages);
    EXPECT_FALSE(stream_read_completed);
}

TEST_F(corked_stream_test, a_frame_past_cork_limit_waits_for_the_send_in_flight_and_every_frame_arrives_in_order) {
    connect(true);
    stream->cork();
    constexpr std::size_t payload_size = 1000;
    auto payload = [](std::size_t i) {
        std::string p = "frame " + std::to_string(i) + " ";
        p.resize(payload_size, '.');
        return p;
    };
    std::vector<std::string> sent;
    // Three rounds: fill the buffer until a frame is refused, wait for room, go on.
    for (int round = 0; round < 3; ++round) {
        SCOPED_TRACE(round);
        std::size_t taken = 0;
        while (taken * framed_size(payload_size) <= corked_stream::cork_limit) {  // bounded if `full` never comes
            if (stream->append_text_frame(payload(sent.size())) != append_result::appended) break;
            sent.push_back(payload(sent.size()));
            ++taken;
        }
        // Every frame that fits is taken; the first that would pass the limit is refused.
        EXPECT_LE(taken * framed_size(payload_size), corked_stream::cork_limit);
        EXPECT_GT((taken + 1) * framed_size(payload_size), corked_stream::cork_limit);
        ASSERT_EQ(stream->append_text_frame(payload(sent.size())), append_result::full);

        bool room = false;
        stream->async_wait_room([&] { room = true; });
        settle();
        if (round == 0) {
            EXPECT_FALSE(room) << "room came while the send could not complete (the peer does not read yet)";
            read_peer();
        }
        ASSERT_TRUE(drive_until([&] { return room; })) << "no room after the peer read";
    }
    wait_for_input();  // sends what the last round gathered
    const std::size_t total = sent.size() * framed_size(payload_size);
    ASSERT_TRUE(drive_until([&] { return received.size() >= total; })) << received.size() << " of " << total << " bytes";
    EXPECT_EQ(received.size(), total);
    EXPECT_EQ(text_frames(received), sent);
}

TEST_F(corked_stream_test, after_the_peer_resets_the_next_append_fails_and_beast_writes_complete_with_the_error) {
    connect();
    stream->cork();
    peer.set_option(asio::socket_base::linger(true, 0));
    peer.close();  // with a zero linger: a reset
    bool reset_seen = false;
    stream->next_layer().socket().async_wait(tcp::socket::wait_read, [&](error_code) { reset_seen = true; });
    ASSERT_TRUE(drive_until([&] { return reset_seen; }));

    ASSERT_EQ(stream->append_text_frame("lost"), append_result::appended) << "no send has failed yet";
    bool room = false;
    stream->async_wait_room([&] { room = true; });  // sends it, and resumes when that send fails
    ASSERT_TRUE(drive_until([&] { return room; }));
    EXPECT_EQ(stream->append_text_frame("after"), append_result::failed);

    const std::string ping("\x89\x00", 2);
    outcome write;
    asio::async_write(*stream, asio::buffer(ping), record(write));
    ASSERT_TRUE(drive_until([&] { return write.done; }));
    EXPECT_TRUE(write.error == asio::error::connection_reset || write.error == asio::error::broken_pipe)
        << write.error.message();
}

TEST_F(corked_stream_test, a_send_in_flight_when_the_stream_is_destroyed_completes_without_touching_it) {
    connect(true);
    stream->cork();
    // Over cork_limit, so it is sent at once; the kernel takes only part of it, and that partial
    // write's completion is already due when the stream goes.
    ASSERT_EQ(stream->append_text_frame(std::string(large_payload, 'x')), append_result::appended);
    stream.reset();
    ASSERT_TRUE(drive_until_idle()) << "the send's completion did not run";

    read_peer();  // the socket closed with the stream: what was sent, then the end
    ASSERT_TRUE(drive_until([&] { return bool(peer_error); }));
    EXPECT_TRUE(peer_error == asio::error::eof || peer_error == asio::error::connection_reset) << peer_error.message();
    EXPECT_LT(received.size(), framed_size(large_payload));
}

TEST_F(corked_stream_test, a_beast_write_waiting_for_room_completes_with_operation_aborted_once_the_stream_is_gone) {
    connect(true);
    stream->cork();
    ASSERT_EQ(stream->append_text_frame(std::string(large_payload, 'x')), append_result::appended);  // in flight
    // Gathered behind it: one byte short of cork_limit (a 16-bit length: a 4-byte header).
    const std::size_t filler = corked_stream::cork_limit - 1 - 4;
    ASSERT_EQ(framed_size(filler), corked_stream::cork_limit - 1);
    ASSERT_EQ(stream->append_text_frame(std::string(filler, 'y')), append_result::appended);

    // A ping as Beast writes it (its idle ping holds only a weak reference to the WebSocket, so
    // nothing keeps the stream alive for it): no room until the send completes.
    const std::string ping("\x89\x00", 2);
    outcome write;
    stream->async_write_some(asio::buffer(ping), record(write));
    destroy_the_stream_while_waiting(write);
}

TEST_F(corked_stream_test, a_teardown_waiting_for_the_send_completes_with_operation_aborted_once_the_stream_is_gone) {
    connect(true);
    stream->cork();
    ASSERT_EQ(stream->append_text_frame(std::string(large_payload, 'x')), append_result::appended);  // in flight
    outcome teardown;
    async_teardown(beast::role_type::server, *stream, record(teardown));
    destroy_the_stream_while_waiting(teardown);
}

TEST_F(corked_stream_test, teardown_sends_what_is_gathered_and_then_closes) {
    connect();
    stream->cork();
    const std::vector<std::string> messages{"a reply", "the error that explains the close"};
    for (const auto& m : messages) ASSERT_EQ(stream->append_text_frame(m), append_result::appended);
    outcome teardown;
    async_teardown(beast::role_type::server, *stream, record(teardown));
    read_peer();
    ASSERT_TRUE(drive_until([&] { return teardown.done && peer_error; }));
    EXPECT_FALSE(teardown.error) << teardown.error.message();
    EXPECT_EQ(peer_error, asio::error::eof);
    EXPECT_EQ(text_frames(received), messages);
}

TEST_F(corked_stream_test, while_a_waiting_scope_is_held_what_was_gathered_and_what_is_written_go_out_at_once) {
    connect();
    stream->cork();
    read_peer();
    ASSERT_EQ(stream->append_text_frame("gathered"), append_result::appended);
    settle();
    EXPECT_TRUE(received.empty()) << "sent while busy";
    {
        corked_stream::waiting_scope waiting(*stream);  // as while the connection awaits the store
        ASSERT_TRUE(drive_until([&] { return received.size() >= framed_size(8); }));
        ASSERT_EQ(stream->append_text_frame("pushed"), append_result::appended);
        ASSERT_TRUE(drive_until([&] { return received.size() >= framed_size(8) + framed_size(6); }));
    }
    EXPECT_EQ(text_frames(received), (std::vector<std::string>{"gathered", "pushed"}));

    // Busy again: gathered until the connection next waits for input.
    ASSERT_EQ(stream->append_text_frame("later"), append_result::appended);
    settle();
    EXPECT_EQ(received.size(), framed_size(8) + framed_size(6)) << "sent while busy, after the scope";
    wait_for_input();
    ASSERT_TRUE(drive_until([&] { return received.size() >= framed_size(8) + framed_size(6) + framed_size(5); }));
    EXPECT_EQ(text_frames(received), (std::vector<std::string>{"gathered", "pushed", "later"}));
}

}  // namespace
}  // namespace peershare::net
