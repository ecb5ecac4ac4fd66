// Accepts TCP connections and starts an http_session for each on the executor the picker gives
// (the next thread's event loop, or a strand of the shared one). At the process's
// file-descriptor limit it keeps serving the connections it has and refuses new ones at once with
// HTTP 503 (through one descriptor held in reserve), never spinning on accept.
#pragma once

#include "beast.hpp"

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>

namespace peershare::net {

class service;

class listener : public std::enable_shared_from_this<listener> {
public:
    // Picks the executor a new connection runs on (a strand of a shared io_context, or the next
    // io_context of a thread-per-context pool).
    using executor_picker = std::function<asio::any_io_executor()>;

    // Binds and listens; throws boost::system::system_error with a readable message on failure.
    listener(asio::io_context& ioc, const tcp::endpoint& endpoint, service& svc, executor_picker pick);
    ~listener();

    tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
    void start();
    void stop();

private:
    asio::awaitable<void> accept_loop();
    // Out of descriptors: frees the reserve, accepts one waiting connection, answers it 503 and
    // closes it, then takes the reserve back. False when nothing could be accepted that way.
    bool refuse_one();

    asio::io_context& ioc_;
    tcp::acceptor acceptor_;
    service& svc_;
    executor_picker pick_;
    int reserve_fd_ = -1;  // /dev/null, held so that one descriptor is always free for refusing
};

}  // namespace peershare::net
