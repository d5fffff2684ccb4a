#pragma once

#include <string>

namespace kt::cmd {

/// `kt check`: validates the config (and, from the indexer on, connects to everything).
/// Prints one line per problem; returns the process exit code (0 ok, 2 config error).
int run_check(const std::string& config_path);

}  // namespace kt::cmd
