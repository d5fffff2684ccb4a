#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "lib/config/config.hpp"

namespace kt::cmd {

/// What `kt produce` was asked.
struct ProduceArgs {
    std::string topic;
    std::vector<std::string> ids;
    bool delay = false;      ///< delay envelopes to TOPIC's first delay stage
    bool any_topic = false;  ///< send even when nothing in the config reads TOPIC
    std::chrono::milliseconds timeout{std::chrono::seconds(30)};  ///< for every acknowledgement
};

/// Why instant messages to `topic` would reach nothing: no index or cascade of `config` reads
/// it (the text lists the topics that are read), or it is a delayer's topic, which takes delay
/// envelopes (`--delay` sends those). Empty when an index or a cascade reads it.
[[nodiscard]] std::string produce_refusal(const config::Config& config, std::string_view topic);

/// `kt produce TOPIC ID… [--delay] [--any-topic] [--timeout 30s]`: sends instant messages (or
/// delay envelopes to the first delay stage of TOPIC) keyed by id and waits for Kafka's
/// acknowledgement, at most `timeout` in all. Returns the exit code (0 all acknowledged, 1
/// otherwise, 2 for a topic nothing reads or --delay without a delayer for TOPIC).
int run_produce(const config::Config& config, const ProduceArgs& args);

}  // namespace kt::cmd
