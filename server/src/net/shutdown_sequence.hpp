// How the server stops on SIGINT/SIGTERM, once the listener and the STUN responder stopped taking
// new work: every signaling connection is closed with 1001 (going away) after what is queued for
// it; the event loops stop when the last one is gone, or after `deadline` for those that do not
// finish their close handshake.
#pragma once

#include "beast.hpp"
#include "session_registry.hpp"

#include <atomic>
#include <chrono>
#include <memory>

namespace peershare::net {

class shutdown_sequence {
public:
    // Close handshakes get this long.
    static constexpr std::chrono::seconds deadline{5};

    shutdown_sequence(asio::io_context& ioc, session_registry& sessions) : ioc_(ioc), sessions_(sessions) {}

    // Starts the sequence (once; later calls do nothing). Any thread.
    void begin();
    // Whether it has begun: new connections are refused, new sessions close at once.
    bool under_way() const noexcept { return begun_; }

private:
    asio::io_context& ioc_;
    session_registry& sessions_;
    std::atomic<bool> begun_{false};
};

}  // namespace peershare::net
