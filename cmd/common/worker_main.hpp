#pragma once

#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "lib/config/config.hpp"
#include "lib/metrics/registry.hpp"
#include "workers/common/dependency_probes.hpp"
#include "workers/common/worker_loop.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace kt::cmd {

/// What every kt executable's command line has, set up on `app` before its options are added:
/// `--version`, printing kt::app::version_line(program), and --help showing each option's default
/// (captured from the variable the option writes), except where the option's description already
/// states it, where it is an empty list, or where the option's own checks reject it (a sentinel
/// meaning "not given").
/// Subcommands added afterwards inherit both.
void add_version_and_defaults(CLI::App& app, const std::string& program);

/// What a worker executable is: everything else of its main is shared (see SPEC.md, Processes).
struct WorkerSpec {
    std::string program;      ///< e.g. `kt-indexer`
    std::string description;  ///< one line for --help
    std::string name_option;  ///< e.g. `--index`
    std::string section;      ///< the config section, e.g. `indexes`
    /// The names of every entry of the section, in file order.
    std::function<std::vector<std::string>(const config::Config&)> names;
    /// One loop for the entry `name` (which exists); throws kt::Error when it cannot start.
    std::function<std::unique_ptr<workers::WorkerLoop>(const config::Config&,
                                                       const std::string& name, metrics::Registry&)>
        make;
    /// The services /readyz probes for the selected entries.
    std::function<workers::Dependencies(const config::Config&,
                                        const std::vector<std::string>& names)>
        dependencies;
};

/// The whole main of a worker executable: parses `--config`, the name option (repeatable),
/// `--metrics-port`, `--stall-timeout`, `--log-format`, `--log-level`; loads the config; starts
/// one loop per selected entry on its own thread, the status server and the readiness prober;
/// stops on SIGTERM/SIGINT. Returns the exit code: 0 after a clean stop, 1 when a loop failed or
/// could not start, 2 for usage and config errors.
int run_worker_main(int argc, char** argv, const WorkerSpec& spec);

/// The command line of a worker main not yet on run_worker_main.
struct WorkerArgs {
    std::string config_path;
    std::vector<std::string> names;
    int metrics_port = 9464;
    std::string log_format = "text";
    std::string log_level = "info";
};

/// Blocks SIGTERM and SIGINT in every thread and returns a stop source that a watcher thread
/// triggers when one arrives. Call first in main, before other threads start.
std::stop_source install_stop_signals();

}  // namespace kt::cmd
