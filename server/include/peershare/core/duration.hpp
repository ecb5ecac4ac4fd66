// Parsing durations given on the command line: "500ms", "30s", "10m", "24h", "7d", or plain seconds.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace peershare {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
std::string format_duration(std::chrono::milliseconds d);

}  // namespace peershare
