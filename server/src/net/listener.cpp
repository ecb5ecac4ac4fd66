// The accept loop.
#include "listener.hpp"

#include "http_session.hpp"
#include "service.hpp"

#include "peershare/core/log.hpp"
#include "peershare/core/metrics.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string_view>

namespace peershare::net {
namespace {
// Out of descriptors and unable to refuse through the reserve (another thread took the freed
// descriptor first, or the system-wide table is full): wait this long before accepting again, so
// the loop never spins while connections already open keep being served.
constexpr auto accept_backoff = std::chrono::milliseconds(100);
// What a connection refused at the descriptor limit reads before the server closes it.
constexpr std::string_view busy_response =
    "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

// Bytes of a refused connection's request read before answering it: an upgrade request's headers.
constexpr std::size_t refused_request_bytes = 8192;

int open_reserve() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }
}  // namespace

listener::listener(asio::io_context& ioc, const tcp::endpoint& endpoint, service& svc, executor_picker pick)
    : ioc_(ioc), acceptor_(ioc), svc_(svc), pick_(std::move(pick)) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    acceptor_.non_blocking(true);  // refuse_one() accepts directly and must never block
    reserve_fd_ = open_reserve();
}

listener::~listener() {
    if (reserve_fd_ >= 0) ::close(reserve_fd_);
}

bool listener::refuse_one() {
    if (reserve_fd_ >= 0) ::close(reserve_fd_);
    int fd = ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd >= 0) {
        // Read what the client already sent (its request), or closing with unread data would reset
        // the connection and could discard the answer before the client reads it.
        char request[refused_request_bytes];
        [[maybe_unused]] auto got = ::recv(fd, request, sizeof request, MSG_DONTWAIT);
        // A fresh socket's send buffer takes these few bytes at once; if not, the client just sees the close.
        [[maybe_unused]] auto sent = ::send(fd, busy_response.data(), busy_response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        ::shutdown(fd, SHUT_WR);
        ::close(fd);
        svc_.metrics().connection_refused(metrics::refusal::descriptors);
    }
    reserve_fd_ = open_reserve();
    return fd >= 0;
}

void listener::start() {
    asio::co_spawn(acceptor_.get_executor(), accept_loop(), [](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            PS_LOG(error, "accept loop stopped: " << ex.what());
        }
    });
}

void listener::stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
        error_code ec;
        self->acceptor_.close(ec);
    });
}

asio::awaitable<void> listener::accept_loop() {
    auto self = shared_from_this();
    asio::steady_timer backoff(ioc_);
    // At the descriptor limit every refused connection would log; one warning per interval says it.
    constexpr auto warning_interval = std::chrono::seconds(10);
    auto last_warning = std::chrono::steady_clock::time_point{};
    for (;;) {
        error_code ec;
        tcp::socket socket = co_await acceptor_.async_accept(pick_(),
                                                              asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
        if (ec == asio::error::no_descriptors || ec.value() == ENFILE || ec == asio::error::no_buffer_space ||
            ec == asio::error::no_memory) {
            if (ec == asio::error::no_descriptors && refuse_one()) {
                auto now = std::chrono::steady_clock::now();
                if (now - last_warning >= warning_interval) {
                    last_warning = now;
                    PS_LOG(warn, "accept: out of file descriptors; refusing new connections with 503 until some close");
                }
                continue;
            }
            PS_LOG(warn, "accept: " << ec.message() << "; pausing new connections");
            backoff.expires_after(accept_backoff);
            co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            continue;
        }
        if (ec) {
            PS_LOG(debug, "accept: " << ec.message());
            continue;
        }
        // Signaling messages are small and answered at once: Nagle's algorithm would hold a reply
        // back until the previous one is acknowledged (up to the peer's 40 ms delayed ACK).
        socket.set_option(tcp::no_delay(true), ec);
        if (reserve_fd_ < 0) reserve_fd_ = open_reserve();  // lost to another thread in refuse_one()
        std::make_shared<http_session>(std::move(socket), svc_)->start();
    }
}

}  // namespace peershare::net
