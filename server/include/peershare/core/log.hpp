// The server's log: one line per event on stderr, with time and level, filtered by --log-level.
// Never log SDP bodies or other message payloads: only types, ids and sizes.
#pragma once

#include <optional>
#include <sstream>
#include <string_view>

namespace peershare::log {

enum class level { trace, debug, info, warn, error, off };

std::optional<level> parse_level(std::string_view name);
void set_level(level l) noexcept;
bool enabled(level l) noexcept;
void write(level l, std::string_view line);

}  // namespace peershare::log

#define PS_LOG(lvl, expr)                                                        \
    do {                                                                         \
        if (::peershare::log::enabled(::peershare::log::level::lvl)) {           \
            std::ostringstream ps_log_stream_;                                   \
            ps_log_stream_ << expr;                                              \
            ::peershare::log::write(::peershare::log::level::lvl, ps_log_stream_.str()); \
        }                                                                        \
    } while (false)
