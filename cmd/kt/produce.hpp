#pragma once

#include <string>
#include <vector>

#include "lib/config/config.hpp"

namespace kt::cmd {

/// `{"id": 42}` for an all-digit id (a JSON number), `{"id": "sku-1"}` otherwise.
std::string instant_message(const std::string& id);

/// The kafka_tools delay envelope of `id` for model topic `topic`:
/// `{"payload": {"id": …}, "created_at": <unix seconds>, "topic": "<topic>"}`.
std::string delay_envelope(const std::string& id, const std::string& topic, double created_at);

/// The first delay stage for model topic `topic`: the first delayer in config order whose
/// `target` is `topic` and that is no other delayer's `next`; nullptr when none.
const config::DelayerConfig* first_delay_stage(const config::Config& config,
                                               const std::string& topic);

/// `kt produce TOPIC ID… [--delay]`: sends instant messages (or delay envelopes to the first
/// delay stage of TOPIC) keyed by id and waits for Kafka's acknowledgement. Returns the exit
/// code (0 all acknowledged, 1 otherwise, 2 when --delay has no delayer for TOPIC).
int run_produce(const config::Config& config, const std::string& topic,
                const std::vector<std::string>& ids, bool delay);

}  // namespace kt::cmd
