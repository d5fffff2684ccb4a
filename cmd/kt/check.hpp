#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "lib/config/config.hpp"

namespace kt::cmd {

/// The line that stands for `skipped` checks left out because `service` (e.g. `PostgreSQL`)
/// could not be reached: `3 check(s) skipped: PostgreSQL unreachable`. Pure.
[[nodiscard]] std::string skipped_checks_line(std::size_t skipped, std::string_view service);

/// Loads the config, or prints every problem (one line each) to stderr and returns nullopt.
std::optional<config::Config> load_config_or_report(const std::string& config_path);

/// `kt check`: validates the config and that every index has a scan query (given, or derived
/// from its `query:`: pg::choose_scan), then (unless `offline`) connects to Kafka (metadata),
/// PostgreSQL (`SELECT 1` and each index query with an empty id list) and Elasticsearch (`GET /`).
/// Prints one line per problem; a server it cannot connect to is said once, with its cause, and
/// the checks that need it are skipped (one line says how many). Returns the exit code: 0 ok,
/// 1 unreachable or failing (or an index with no scan query), 2 config.
int run_check(const std::string& config_path, bool offline);

}  // namespace kt::cmd
