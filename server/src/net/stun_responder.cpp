// The UDP receive/answer loop of the STUN responder.
#include "stun_responder.hpp"

#include "peershare/core/log.hpp"
#include "peershare/core/stun.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>

namespace peershare::net {

stun_responder::stun_responder(asio::io_context& ioc, const asio::ip::udp::endpoint& endpoint) : socket_(ioc) {
    socket_.open(endpoint.protocol());
    socket_.bind(endpoint);
}

void stun_responder::start() { asio::co_spawn(socket_.get_executor(), serve(), asio::detached); }

void stun_responder::stop() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
        error_code ec;
        self->socket_.close(ec);
    });
}

asio::awaitable<void> stun_responder::serve() {
    auto self = shared_from_this();
    // One byte more than the largest request we answer, so a larger datagram is seen as larger.
    std::array<char, stun::max_request_size + 1> buffer;
    for (;;) {
        asio::ip::udp::endpoint sender;
        error_code ec;
        std::size_t n = co_await socket_.async_receive_from(asio::buffer(buffer), sender,
                                                            asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::operation_aborted || !socket_.is_open()) co_return;
        if (ec) continue;  // e.g. an ICMP error from an earlier answer: nothing to do
        auto request = stun::parse_binding_request({buffer.data(), n});
        if (!request) continue;
        stun::address mapped;
        auto a = sender.address();
        if (a.is_v4()) {
            auto b = a.to_v4().to_bytes();
            std::copy(b.begin(), b.end(), mapped.bytes.begin());
        } else {
            mapped.v6 = true;
            auto b = a.to_v6().to_bytes();
            std::copy(b.begin(), b.end(), mapped.bytes.begin());
        }
        mapped.port = sender.port();
        auto answer = stun::binding_success(request->id, mapped);
        co_await socket_.async_send_to(asio::buffer(answer), sender, asio::redirect_error(asio::use_awaitable, ec));
    }
}

}  // namespace peershare::net
