#include "cmd/kt/produce.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "lib/kafka/options.hpp"
#include "lib/kafka/producer.hpp"
#include "lib/wire/messages.hpp"

namespace kt::cmd {

std::string instant_message(const std::string& id) { return wire::instant_message(id); }

std::string delay_envelope(const std::string& id, const std::string& topic, double created_at) {
    return wire::delay_envelope(wire::instant_message(id), topic, created_at);
}

const config::DelayerConfig* first_delay_stage(const config::Config& config,
                                               const std::string& topic) {
    for (const auto& d : config.delayers) {
        if (d.target != topic) continue;
        const bool is_next = std::any_of(config.delayers.begin(), config.delayers.end(),
                                         [&](const auto& other) { return other.next == d.name; });
        if (!is_next) return &d;
    }
    return nullptr;
}

int run_produce(const config::Config& config, const std::string& topic,
                const std::vector<std::string>& ids, bool delay) {
    const config::DelayerConfig* stage = delay ? first_delay_stage(config, topic) : nullptr;
    if (delay && stage == nullptr) {
        fmt::print(stderr, "--delay: no delayer in {} has target {}\n", config.path, topic);
        return 2;
    }
    const std::string destination = stage != nullptr ? stage->topic : topic;
    const double now = std::chrono::duration<double>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    kafka::Producer producer(kafka::Options::from_config(config.kafka));
    for (const auto& id : ids) {
        producer.produce(destination, id,
                         stage != nullptr ? delay_envelope(id, topic, now) : instant_message(id));
    }
    const auto result = producer.flush(std::chrono::seconds(30));
    if (!result.ok()) {
        fmt::print(stderr, "{} of {} message(s) to {} failed: {}\n", result.failed, ids.size(),
                   topic, rd_kafka_err2str(result.first_error));
        return 1;
    }
    fmt::print("produced {} {} to {}\n", result.delivered,
               stage != nullptr ? "delay envelope(s)" : "message(s)", destination);
    return 0;
}

}  // namespace kt::cmd
