// The log sink: stderr, one line per call, serialized across threads.
#include "peershare/core/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace peershare::log {
namespace {
std::atomic<level> current{level::info};
std::mutex sink_mutex;
constexpr const char* names[] = {"trace", "debug", "info", "warn", "error", "off"};
}  // namespace

std::optional<level> parse_level(std::string_view name) {
    for (int i = 0; i <= static_cast<int>(level::off); ++i)
        if (name == names[i]) return static_cast<level>(i);
    return std::nullopt;
}

void set_level(level l) noexcept { current.store(l, std::memory_order_relaxed); }

bool enabled(level l) noexcept { return l >= current.load(std::memory_order_relaxed) && l != level::off; }

void write(level l, std::string_view line) {
    using namespace std::chrono;
    auto now = system_clock::now();
    std::time_t t = system_clock::to_time_t(now);
    auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    std::lock_guard lock(sink_mutex);
    std::fprintf(stderr, "%s.%03dZ %-5s %.*s\n", stamp, static_cast<int>(ms), names[static_cast<int>(l)],
                 static_cast<int>(line.size()), line.data());
    std::fflush(stderr);
}

}  // namespace peershare::log
