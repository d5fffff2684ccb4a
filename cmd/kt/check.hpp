#pragma once

#include <optional>
#include <string>

#include "lib/config/config.hpp"

namespace kt::cmd {

/// Loads the config, or prints every problem (one line each) to stderr and returns nullopt.
std::optional<config::Config> load_config_or_report(const std::string& config_path);

/// `kt check`: validates the config, then (unless `offline`) connects to Kafka (metadata),
/// PostgreSQL (`SELECT 1` and each index query with an empty id list) and Elasticsearch (`GET /`).
/// Prints one line per problem; returns the exit code: 0 ok, 1 unreachable or failing, 2 config.
int run_check(const std::string& config_path, bool offline);

}  // namespace kt::cmd
