// One HTTP connection: reads requests (headers within the handshake timeout, bodies within their
// route's limit), answers them through the route table, and hands WebSocket upgrades on /ws to a
// websocket_session after the Origin and per-address checks.
#pragma once

#include "beast.hpp"

#include <boost/asio/awaitable.hpp>

#include <memory>

namespace peershare::net {

class service;

class http_session : public std::enable_shared_from_this<http_session> {
public:
    http_session(tcp::socket&& socket, service& svc);
    void start();

private:
    asio::awaitable<void> run();
    asio::awaitable<void> drain();

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    service& svc_;
};

}  // namespace peershare::net
