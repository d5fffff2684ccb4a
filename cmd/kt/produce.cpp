#include "cmd/kt/produce.hpp"

#include <fmt/format.h>

#include <set>

#include "lib/app/options_from_config.hpp"
#include "lib/app/publisher.hpp"
#include "lib/kafka/error.hpp"

namespace kt::cmd {

std::string produce_refusal(const config::Config& config, std::string_view topic) {
    std::set<std::string, std::less<>> read;
    for (const auto& index : config.indexes) read.insert(index.topic);
    for (const auto& cascade : config.cascades) read.insert(cascade.topic);
    if (read.count(topic) != 0) return {};
    for (const auto& delayer : config.delayers) {
        if (delayer.topic == topic) {
            return fmt::format(
                "topic {} is delayer {}'s: it takes delay envelopes, not instant messages; "
                "`kt produce --delay {} ID…` sends envelopes for that model topic",
                topic, delayer.name, delayer.target);
        }
    }
    std::string known;
    for (const auto& t : read) known += (known.empty() ? "" : ", ") + t;
    return fmt::format(
        "no index or cascade of {} reads topic {}; the topics they read: {} (--any-topic sends "
        "anyway)",
        config.path, topic, known.empty() ? "none" : known);
}

int run_produce(const config::Config& config, const ProduceArgs& args) {
    const config::DelayerConfig* stage =
        args.delay ? config.first_delay_stage(args.topic) : nullptr;
    if (args.delay && stage == nullptr) {
        fmt::print(stderr, "--delay: no delayer in {} has target {}\n", config.path, args.topic);
        return 2;
    }
    if (!args.any_topic) {
        if (const std::string refusal = produce_refusal(config, args.topic); !refusal.empty()) {
            fmt::print(stderr, "kt produce: {}\n", refusal);
            return 2;
        }
    }
    app::PublisherOptions options = app::publisher_options(config);
    if (stage != nullptr) options.delay_topics[args.topic] = stage->topic;
    options.flush_timeout = args.timeout;
    try {
        app::Publisher publisher(std::move(options));
        try {
            if (stage != nullptr) {
                publisher.delay(args.topic, args.ids);
            } else {
                publisher.queue(args.topic, args.ids);
            }
            const std::uint64_t delivered = publisher.flush();
            fmt::print("produced {} {} to {}\n", delivered,
                       stage != nullptr ? "delay envelope(s)" : "message(s)",
                       stage != nullptr ? stage->topic : args.topic);
            return 0;
        } catch (const Error&) {
            publisher.abandon();  // the timeout was for everything: no second wait on exit
            throw;
        }
    } catch (const kafka::KafkaError& e) {
        if (e.code() == kafka::ErrorCode::kTimedOut) {
            fmt::print(stderr,
                       "kt produce: Kafka at {} did not acknowledge {} within {} ms (--timeout); "
                       "nothing more is sent\n",
                       config.kafka.brokers, args.ids.size() == 1 ? "the message" : "every message",
                       args.timeout.count());
        } else {
            fmt::print(stderr, "kt produce: {}\n", e.what());
        }
        return 1;
    } catch (const Error& e) {
        fmt::print(stderr, "kt produce: {}\n", e.what());
        return 1;
    }
}

}  // namespace kt::cmd
