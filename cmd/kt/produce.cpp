#include "cmd/kt/produce.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lib/kafka/options.hpp"
#include "lib/kafka/producer.hpp"

namespace kt::cmd {

std::string instant_message(const std::string& id) {
    const bool numeric = !id.empty() && id.size() < 19 && id[0] != '0' &&
                         std::all_of(id.begin(), id.end(),
                                     [](unsigned char c) { return std::isdigit(c) != 0; });
    nlohmann::json j;
    if (numeric) {
        j["id"] = std::stoll(id);
    } else {
        j["id"] = id;
    }
    return j.dump();
}

int run_produce(const config::Config& config, const std::string& topic,
                const std::vector<std::string>& ids) {
    kafka::Producer producer(kafka::Options::from_config(config.kafka));
    for (const auto& id : ids) producer.produce(topic, id, instant_message(id));
    const auto result = producer.flush(std::chrono::seconds(30));
    if (!result.ok()) {
        fmt::print(stderr, "{} of {} message(s) to {} failed: {}\n", result.failed, ids.size(),
                   topic, rd_kafka_err2str(result.first_error));
        return 1;
    }
    fmt::print("produced {} message(s) to {}\n", result.delivered, topic);
    return 0;
}

}  // namespace kt::cmd
