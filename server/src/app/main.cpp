// The `peershare` executable: parses the command line and runs the chosen command.
#include "peershare/app/config.hpp"
#include "peershare/net/server.hpp"

#include <iostream>

int main(int argc, char** argv) {
    auto cmd = peershare::parse_command_line(argc, argv, std::cout, std::cerr);
    if (!cmd.config) return cmd.exit_code;
    return peershare::net::run_server(*cmd.config);
}
