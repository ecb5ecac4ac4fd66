// Latency samples of one kind of operation and their percentiles.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace peershare::loadgen {

class latency_samples {
public:
    void add(std::int64_t nanoseconds) { samples_.push_back(nanoseconds); }
    std::size_t count() const noexcept { return samples_.size(); }

    // The p-th percentile (0 < p <= 100) in microseconds, nearest-rank; 0 without samples.
    double percentile_us(double p) {
        if (samples_.empty()) return 0;
        if (!sorted_) {
            std::sort(samples_.begin(), samples_.end());
            sorted_ = true;
        }
        auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(samples_.size()) + 0.999999);
        rank = std::clamp<std::size_t>(rank, 1, samples_.size());
        return static_cast<double>(samples_[rank - 1]) / 1000.0;
    }

    void clear() {
        samples_.clear();
        sorted_ = false;
    }

private:
    std::vector<std::int64_t> samples_;
    bool sorted_ = false;
};

}  // namespace peershare::loadgen
