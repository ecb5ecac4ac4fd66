// A token bucket per connection: `rate` messages per second on average, bursts up to `burst`.
// It also counts refusals in a row, so the caller can close a client that keeps pushing.
// Time is passed in, so tests drive it without clocks.
#pragma once

#include <chrono>
#include <cstddef>

namespace peershare {

class rate_limiter {
public:
    using clock = std::chrono::steady_clock;

    rate_limiter(double rate, double burst, clock::time_point now) noexcept;

    // Takes one token; false when the bucket is empty (the message must be refused).
    bool try_acquire(clock::time_point now) noexcept;

    // Refusals since the last accepted message.
    std::size_t refusals_in_a_row() const noexcept { return refusals_in_a_row_; }

private:
    double rate_;
    double burst_;
    double tokens_;
    clock::time_point last_;
    std::size_t refusals_in_a_row_ = 0;
};

}  // namespace peershare
