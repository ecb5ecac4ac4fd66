// The built-in STUN responder: answers Binding requests on UDP with the sender's address, so
// browsers learn their public address without a third-party STUN server. Everything that is not
// a well-formed Binding request is dropped unanswered (core/stun.hpp).
#pragma once

#include "beast.hpp"

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <memory>

namespace peershare::net {

class stun_responder : public std::enable_shared_from_this<stun_responder> {
public:
    // Binds; throws boost::system::system_error when the port cannot be had.
    stun_responder(asio::io_context& ioc, const asio::ip::udp::endpoint& endpoint);

    asio::ip::udp::endpoint local_endpoint() const { return socket_.local_endpoint(); }
    void start();
    void stop();

private:
    asio::awaitable<void> serve();

    asio::ip::udp::socket socket_;
};

}  // namespace peershare::net
