#pragma once

#include <string>
#include <vector>

#include "lib/config/config.hpp"

namespace kt::cmd {

/// `kt produce TOPIC ID… [--delay]`: sends instant messages (or delay envelopes to the first
/// delay stage of TOPIC) keyed by id and waits for Kafka's acknowledgement. Returns the exit
/// code (0 all acknowledged, 1 otherwise, 2 when --delay has no delayer for TOPIC).
int run_produce(const config::Config& config, const std::string& topic,
                const std::vector<std::string>& ids, bool delay);

}  // namespace kt::cmd
