#pragma once

#include <functional>

namespace kt::cmd {

/// Runs `command` and returns its exit code. A kt::Error, or any other exception, escaping it
/// is logged as an error and gives exit code 1, so that kt reports it instead of aborting.
int run_guarded(const std::function<int()>& command);

}  // namespace kt::cmd
