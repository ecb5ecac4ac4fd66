// Duration parsing and formatting for flags and logs.
#include "peershare/core/duration.hpp"

#include <charconv>
#include <cstdint>

namespace peershare {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end == text.data()) return std::nullopt;
    std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
    std::uint64_t scale;
    if (unit == "ms") scale = 1;
    else if (unit.empty() || unit == "s") scale = 1000;
    else if (unit == "m") scale = 60'000;
    else if (unit == "h") scale = 3'600'000;
    else if (unit == "d") scale = 86'400'000;
    else return std::nullopt;
    constexpr std::uint64_t max_ms = std::uint64_t{1} << 50;  // far beyond any sane duration
    if (value > max_ms / scale) return std::nullopt;
    return std::chrono::milliseconds(static_cast<std::int64_t>(value * scale));
}

std::string format_duration(std::chrono::milliseconds d) {
    auto ms = d.count();
    if (ms % 86'400'000 == 0 && ms != 0) return std::to_string(ms / 86'400'000) + "d";
    if (ms % 3'600'000 == 0 && ms != 0) return std::to_string(ms / 3'600'000) + "h";
    if (ms % 60'000 == 0 && ms != 0) return std::to_string(ms / 60'000) + "m";
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
}

}  // namespace peershare
