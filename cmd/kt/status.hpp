#pragma once

#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "lib/config/config.hpp"
#include "lib/http/status_report.hpp"
#include "workers/status/status.hpp"

namespace kt::cmd {

/// The command line of `kt status`.
struct StatusArgs {
    /// Time between the two looks at the committed offsets (messages/s), e.g. `1s`.
    std::string interval = "1s";
    /// Base URLs (or `/status.json` URLs) of running workers to merge in.
    std::vector<std::string> workers;
    /// Serve the page on this port instead of printing once (0: any free port).
    std::optional<int> serve_port;
};

/// The report as a text table (one row per partition) followed by one line per group that has
/// something to add (held envelopes, next release, last error, problem). Pure.
[[nodiscard]] std::string render_status_table(const http::StatusReport& report);

/// `kt status`: prints the table, or with `serve_port` serves the page and `/status.json`
/// (refreshed every interval) until `stop`. Returns the exit code: 0 ok, 1 Kafka or a worker
/// did not answer, 2 usage error.
int run_status(const config::Config& config, const StatusArgs& args, std::stop_token stop);

}  // namespace kt::cmd
