// One signaling connection: the WebSocket handshake, the read loop, and carrying out what the
// request flows decide (flows/): each frame goes through the intake (rate limit, parsing), a valid
// request through its flow, whose steps this session carries out (store and directory calls) and
// whose outcome it applies (reply, deliveries to other sessions, fire-and-forget updates). Writes
// go through a bounded queue (a client that does not read is dropped, so it never slows others).
// All state is touched only on the connection's executor (its thread's event loop, or its strand
// of the shared one).
#pragma once

#include "address_slots.hpp"
#include "beast.hpp"
#include "corked_stream.hpp"

#include "peershare/core/ids.hpp"
#include "peershare/core/signal_message.hpp"
#include "peershare/flows/step.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

namespace peershare::net {

class service;

class websocket_session : public std::enable_shared_from_this<websocket_session> {
public:
    // `slot`: the per-address slot the caller acquired; held for the session's life.
    websocket_session(beast::tcp_stream&& stream, service& svc, std::unique_ptr<address_slots::slot> slot);

    // `received`: what the client sent after the upgrade request, read with it.
    void start(http::request<http::string_body> upgrade, std::string received);

    // Queues a message for this client; callable from any thread.
    void send(std::shared_ptr<const std::string> text, signaling::server_type type);

    // Starts a close handshake with `code` once queued messages are written; any thread.
    void close(websocket::close_code code);

private:
    asio::awaitable<void> run(http::request<http::string_body> upgrade);
    // Runs the flow of one valid request to its end.
    asio::awaitable<void> handle(signaling::client_message& message);
    template <class Flow>
    asio::awaitable<void> carry_out(Flow& flow);
    // Carries out one store or directory step; what came of it resumes the flow.
    asio::awaitable<flows::result> carry(const flows::step& step);
    // Sends, delivers and records what a flow decided.
    void apply(flows::outcome&& o);

    void reply(std::string text, signaling::server_type type);

    void enqueue(std::shared_ptr<const std::string> text, signaling::server_type type);
    void write_next();
    void begin_close(websocket::close_code code);
    void abort();
    // Forgets what is queued (the connection is closing or broken); nothing more is queued.
    void drop_queue();
    // The write queue's byte count matches what it holds (checked in builds with invariants).
    void check_queue() const;

    struct queued {
        std::shared_ptr<const std::string> text;
        signaling::server_type type;
#ifdef PEERSHARE_INVARIANTS
        std::uint64_t seq;  // the order it was queued in, checked as it leaves
#endif
    };

    websocket::stream<corked_stream> ws_;
    service& svc_;
    std::unique_ptr<address_slots::slot> slot_;  // must not need the service when destroyed
    std::optional<peer_id> id_;
    std::string host_;  // the host the client reached us at, for the STUN URL
    std::deque<queued> queue_;
    std::size_t queued_bytes_ = 0;
    bool writing_ = false;
    bool closing_ = false;  // no more messages are queued or handled
    std::optional<websocket::close_code> pending_close_;
#ifdef PEERSHARE_INVARIANTS
    std::uint64_t queued_seq_ = 0;  // messages queued so far
    std::uint64_t sent_seq_ = 0;    // messages framed so far
#endif
};

}  // namespace peershare::net
