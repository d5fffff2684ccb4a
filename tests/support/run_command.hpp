#pragma once

#include <string>

namespace kt::test {

/// What a finished shell command printed (stdout and stderr together) and its exit code.
struct CommandResult {
    int exit_code = -1;  ///< -1 when it could not run or was killed by a signal
    std::string output;
};

/// Runs `command` through /bin/sh with stderr folded into stdout and waits for it.
CommandResult run_command(const std::string& command);

}  // namespace kt::test
