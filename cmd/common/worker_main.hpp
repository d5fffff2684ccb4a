#pragma once

#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "lib/config/config.hpp"

namespace kt::cmd {

/// What every worker executable shares on its command line (see SPEC.md, Processes).
struct WorkerArgs {
    std::string config_path;
    std::vector<std::string> names;  ///< --index / --delayer / --cascade; empty = all
    int metrics_port = 9464;
    std::string log_format = "text";
    std::string log_level = "info";
};

/// Blocks SIGTERM and SIGINT in every thread and returns a stop source that a watcher thread
/// triggers when one arrives. Call first in main, before other threads start.
std::stop_source install_stop_signals();

}  // namespace kt::cmd
