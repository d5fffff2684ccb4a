#pragma once

#include <string>
#include <vector>

#include "lib/config/config.hpp"

namespace kt::cmd {

/// `{"id": 42}` for an all-digit id (a JSON number), `{"id": "sku-1"}` otherwise.
std::string instant_message(const std::string& id);

/// `kt produce TOPIC ID…`: sends instant messages keyed by id and waits for Kafka's
/// acknowledgement. Returns the exit code (0 all acknowledged, 1 otherwise).
int run_produce(const config::Config& config, const std::string& topic,
                const std::vector<std::string>& ids);

}  // namespace kt::cmd
