// The accept loop.
#include "listener.hpp"

#include "http_session.hpp"
#include "service.hpp"

#include "peershare/core/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace peershare::net {
namespace {
// Out of descriptors: connections already open keep being served while we wait for some to close.
constexpr auto accept_backoff = std::chrono::milliseconds(100);
}  // namespace

listener::listener(asio::io_context& ioc, const tcp::endpoint& endpoint, service& svc)
    : ioc_(ioc), acceptor_(ioc), svc_(svc) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
}

void listener::start() { asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached); }

void listener::stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
        error_code ec;
        self->acceptor_.close(ec);
    });
}

asio::awaitable<void> listener::accept_loop() {
    auto self = shared_from_this();
    asio::steady_timer backoff(ioc_);
    for (;;) {
        error_code ec;
        tcp::socket socket = co_await acceptor_.async_accept(asio::make_strand(ioc_),
                                                              asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
        if (ec == asio::error::no_descriptors || ec.value() == ENFILE || ec == asio::error::no_buffer_space ||
            ec == asio::error::no_memory) {
            PS_LOG(warn, "accept: " << ec.message() << "; pausing new connections");
            backoff.expires_after(accept_backoff);
            co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            continue;
        }
        if (ec) {
            PS_LOG(debug, "accept: " << ec.message());
            continue;
        }
        std::make_shared<http_session>(std::move(socket), svc_)->start();
    }
}

}  // namespace peershare::net
