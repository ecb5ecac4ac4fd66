// The command line of `peershare` (flags with PEERSHARE_* environment equivalents) and the server
// configuration it produces.
#pragma once

#include "peershare/net/server_config.hpp"

#include <iosfwd>
#include <optional>

namespace peershare {

struct command_line {
    int exit_code = 0;                   // when `config` is empty: exit with this code
    std::optional<server_config> config; // `serve`: run with this
};

// Parses argv; writes help to `out` and errors to `err`.
command_line parse_command_line(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace peershare
