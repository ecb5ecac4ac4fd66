// Token bucket refill and take.
#include "peershare/core/rate_limiter.hpp"

#include <algorithm>

namespace peershare {

rate_limiter::rate_limiter(double rate, double burst, clock::time_point now) noexcept
    : rate_(rate), burst_(std::max(burst, 1.0)), tokens_(burst_), last_(now) {}

bool rate_limiter::try_acquire(clock::time_point now) noexcept {
    if (now > last_) {
        std::chrono::duration<double> elapsed = now - last_;
        tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_);
        last_ = now;
    }
    if (tokens_ >= 1.0) {
        tokens_ -= 1.0;
        refusals_in_a_row_ = 0;
        return true;
    }
    ++refusals_in_a_row_;
    return false;
}

}  // namespace peershare
