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
    // A request's flow stopped at a step that waits on another thread, kept on the heap (the
    // common flows never wait, and run without an allocation or a coroutine frame of their own).
    struct parked_flow {
        virtual ~parked_flow() = default;
        // Carries the flow out from the step it waits on, to its end.
        virtual asio::awaitable<void> finish(websocket_session& session) = 0;
    };
    template <class Flow>
    struct parked;

    // Runs the flow of one valid request: to its end when no step waits (nullptr), otherwise up
    // to the step that waits, returned parked for run() to await.
    std::unique_ptr<parked_flow> handle(signaling::client_message& message);
    // Runs `flow` from its start; parks it at a step that waits.
    template <class Flow>
    std::unique_ptr<parked_flow> run_flow(Flow&& flow);
    // Carries out the steps of `flow` that need no wait, from `s` on; true once it finished (its
    // outcome applied), false at a step that waits on another thread.
    template <class Flow>
    bool advance(Flow& flow, flows::step& s);
    // Carries out the flow from the step it waits on, to its end.
    template <class Flow>
    asio::awaitable<void> finish_waiting(Flow& flow);
    // A step carried out on the spot (a directory that does not block); nullopt for one that waits.
    std::optional<flows::result> carry_inline(const flows::step& step);
    // Carries out one store or directory step on its worker's thread; what came of it resumes the flow.
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
