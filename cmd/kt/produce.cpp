#include "cmd/kt/produce.hpp"

#include <fmt/format.h>

#include "lib/app/publisher.hpp"
#include "lib/kafka/error.hpp"

namespace kt::cmd {

int run_produce(const config::Config& config, const std::string& topic,
                const std::vector<std::string>& ids, bool delay) {
    const config::DelayerConfig* stage = delay ? config.first_delay_stage(topic) : nullptr;
    if (delay && stage == nullptr) {
        fmt::print(stderr, "--delay: no delayer in {} has target {}\n", config.path, topic);
        return 2;
    }
    app::PublisherOptions options = app::PublisherOptions::from_config(config);
    if (stage != nullptr) options.delay_topics[topic] = stage->topic;
    try {
        app::Publisher publisher(std::move(options));
        if (stage != nullptr) {
            publisher.delay(topic, ids);
        } else {
            publisher.queue(topic, ids);
        }
        const std::uint64_t delivered = publisher.flush();
        fmt::print("produced {} {} to {}\n", delivered,
                   stage != nullptr ? "delay envelope(s)" : "message(s)",
                   stage != nullptr ? stage->topic : topic);
        return 0;
    } catch (const Error& e) {
        fmt::print(stderr, "{}\n", e.what());
        return 1;
    }
}

}  // namespace kt::cmd
