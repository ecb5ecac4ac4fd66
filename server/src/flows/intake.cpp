// The checks on each received frame (flows/intake.hpp).
#include "peershare/flows/intake.hpp"

namespace peershare::flows {

intake::intake(const limits& lim, const peer_id& self, rate_limiter::clock::time_point now)
    : lim_(lim), self_(self), limiter_(lim.messages_per_second, lim.message_burst, now) {}

intake::verdict intake::take(std::string_view frame, bool text, rate_limiter::clock::time_point now) {
    if (!limiter_.try_acquire(now)) {
        if (limiter_.refusals_in_a_row() >= static_cast<std::size_t>(lim_.message_burst)) {
            outcome o;
            o.error = errc::rate_limited;
            o.notes.push_back({log::level::info, "peer " + self_.str().substr(0, 8) + " closed: rate limit exceeded " +
                                                     std::to_string(static_cast<std::size_t>(lim_.message_burst)) +
                                                     " times in a row"});
            return close{std::move(o)};
        }
        // Not handled, but named: the client can tell which of its requests was refused.
        return refuse{error_outcome(errc::rate_limited, text ? signaling::peek_id(frame, lim_) : signaling::request_id{})};
    }
    if (!text) return refuse{error_outcome(errc::bad_message, {}, "binary frames are not part of the signaling protocol")};
    auto parsed = signaling::parse(frame, lim_);
    if (auto* failure = std::get_if<signaling::parse_failure>(&parsed)) {
        auto o = error_outcome(failure->code, failure->id, failure->message);
        if (log::enabled(log::level::debug))
            o.notes.push_back({log::level::debug, "peer " + self_.str().substr(0, 8) + ": refused message (" +
                                                      std::string(code_name(failure->code)) + ", " +
                                                      std::to_string(frame.size()) + " bytes)"});
        return refuse{std::move(o)};
    }
    return handle{std::get<signaling::client_message>(std::move(parsed))};
}

signaling::client_type intake::counted_as(const verdict& v) noexcept {
    if (const auto* h = std::get_if<handle>(&v)) return signaling::type_of(h->message.payload);
    return signaling::client_type::invalid;
}

}  // namespace peershare::flows
