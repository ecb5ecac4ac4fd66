// Accepts TCP connections and starts an http_session for each, on its own strand. When the process
// runs out of file descriptors it pauses accepting briefly instead of spinning.
#pragma once

#include "beast.hpp"

#include <boost/asio/awaitable.hpp>

#include <memory>

namespace peershare::net {

class service;

class listener : public std::enable_shared_from_this<listener> {
public:
    // Binds and listens; throws boost::system::system_error with a readable message on failure.
    listener(asio::io_context& ioc, const tcp::endpoint& endpoint, service& svc);

    tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
    void start();
    void stop();

private:
    asio::awaitable<void> accept_loop();

    asio::io_context& ioc_;
    tcp::acceptor acceptor_;
    service& svc_;
};

}  // namespace peershare::net
