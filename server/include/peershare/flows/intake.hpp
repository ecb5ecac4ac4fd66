// What a connection does with each frame it receives before a request flow runs (docs/protocol.md
// §2.3): the per-connection rate limit (a refused message gets `rate_limited`, with the message's id
// when the frame can be read far enough to find it; after message_burst refusals in a row the
// connection is closed with 1008), text frames only, and the parser's typed failures.
#pragma once

#include "peershare/core/rate_limiter.hpp"
#include "peershare/flows/step.hpp"

#include <string_view>
#include <variant>

namespace peershare::flows {

// The WebSocket close code for a client that keeps pushing past the rate limit.
inline constexpr std::uint16_t close_policy_violation = 1008;

class intake {
public:
    // `self`: the connection's peer id, for the log; it must outlive the intake.
    intake(const limits& lim, const peer_id& self, rate_limiter::clock::time_point now);

    struct handle {
        signaling::client_message message;  // valid: run its flow
    };
    struct refuse {
        outcome result;  // an error reply; the connection stays open
    };
    struct close {
        outcome result;  // nothing more is handled: close with close_policy_violation
    };
    using verdict = std::variant<handle, refuse, close>;

    // One received frame (`text`: whether it was a text frame), at `now`.
    verdict take(std::string_view frame, bool text, rate_limiter::clock::time_point now);

    // The type a verdict's frame is counted under in the metrics.
    static signaling::client_type counted_as(const verdict& v) noexcept;

private:
    const limits& lim_;
    const peer_id& self_;
    rate_limiter limiter_;
};

}  // namespace peershare::flows
