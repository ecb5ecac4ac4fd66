// The graceful stop (shutdown_sequence.hpp).
#include "shutdown_sequence.hpp"

#include "peershare/core/log.hpp"

namespace peershare::net {

void shutdown_sequence::begin() {
    if (begun_.exchange(true)) return;
    PS_LOG(info, "shutting down: closing " << sessions_.size() << " connection(s)");
    auto timer = std::make_shared<asio::steady_timer>(ioc_, deadline);
    timer->async_wait([this, timer](error_code) { ioc_.stop(); });
    sessions_.close_all(websocket::close_code::going_away, [this] { ioc_.stop(); });
}

}  // namespace peershare::net
