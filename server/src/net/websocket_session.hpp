// One signaling connection: the WebSocket handshake, the read loop that parses, rate-limits and
// handles client messages, and a bounded write queue (a client that does not read is dropped, so
// it never slows others). All state is touched only on the connection's executor (its thread's
// event loop, or its strand of the shared one).
#pragma once

#include "beast.hpp"
#include "corked_stream.hpp"
#include "service.hpp"

#include "peershare/core/rate_limiter.hpp"
#include "peershare/core/signal_message.hpp"

#include <boost/asio/awaitable.hpp>

#include <deque>
#include <memory>
#include <type_traits>
#include <optional>
#include <string>

namespace peershare::net {

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
    asio::awaitable<void> handle(signaling::client_message& message);
    asio::awaitable<void> handle_announce(const signaling::request_id& id, signaling::announce& a);
    asio::awaitable<void> handle_lookup(const signaling::request_id& id, const signaling::lookup& l);
    void handle_leave(const signaling::request_id& id, const signaling::leave& l);
    asio::awaitable<void> handle_signal(const signaling::request_id& id, const signaling::signal& s);
    // The share's info from the store, for a lookup; nullopt once it has replied the error.
    asio::awaitable<std::optional<swarm_info>> stored_info(const signaling::request_id& id, const resource_id& resource);
    asio::awaitable<void> lookup_across_instances(const signaling::request_id& id, const signaling::lookup& l);
    void handle_ice(const signaling::request_id& id);

    // svc_.on_store / svc_.on_cluster, with what the connection has gathered sent first and
    // pushes to it sent at once while it waits (corked_stream::waiting_scope).
    template <class F>
    asio::awaitable<std::invoke_result_t<F, resource_store&>> on_store(F fn) {
        corked_stream::waiting_scope waiting(ws_.next_layer());
        co_return co_await svc_.on_store(std::move(fn));
    }
    template <class F>
    asio::awaitable<std::invoke_result_t<F, redis_swarms&>> on_cluster(F fn) {
        corked_stream::waiting_scope waiting(ws_.next_layer());
        co_return co_await svc_.on_cluster(std::move(fn));
    }

    void reply(std::string text, signaling::server_type type);
    void reply_error(errc code, std::string_view message, const signaling::request_id& id);

    void enqueue(std::shared_ptr<const std::string> text, signaling::server_type type);
    void write_next();
    void begin_close(websocket::close_code code);
    void abort();

    struct queued {
        std::shared_ptr<const std::string> text;
        signaling::server_type type;
    };

    websocket::stream<corked_stream> ws_;
    service& svc_;
    std::unique_ptr<address_slots::slot> slot_;  // must not need the service when destroyed
    std::optional<peer_id> id_;
    std::string host_;  // the host the client reached us at, for the STUN URL
    rate_limiter limiter_;
    std::deque<queued> queue_;
    std::size_t queued_bytes_ = 0;
    bool writing_ = false;
    bool closing_ = false;  // no more messages are queued or handled
    std::optional<websocket::close_code> pending_close_;
};

}  // namespace peershare::net
