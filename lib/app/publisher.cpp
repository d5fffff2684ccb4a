#include "lib/app/publisher.hpp"

#include <fmt/format.h>

#include "lib/kafka/producer.hpp"
#include "lib/log/log.hpp"
#include "lib/wire/messages.hpp"

namespace kt::app {

namespace {

double system_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string describe(const std::vector<DeliveryFailure>& failures) {
    std::string out = fmt::format("{} message(s) not acknowledged by Kafka", failures.size());
    for (std::size_t i = 0; i < failures.size() && i < 5; ++i) {
        out += fmt::format("{} {} id {}: {}", i == 0 ? ":" : ";", failures[i].topic, failures[i].id,
                           failures[i].error);
    }
    if (failures.size() > 5) out += " …";
    return out;
}

}  // namespace

PublishError::PublishError(std::vector<DeliveryFailure> failures)
    : Error(describe(failures), true), failures_(std::move(failures)) {}

Publisher::Publisher(PublisherOptions options) : options_(std::move(options)) {
    if (!options_.now) options_.now = system_now;
    producer_ = std::make_unique<kafka::Producer>(
        options_.kafka, [this](const kafka::DeliveryReport& report) {
            if (report.ok()) return;
            failures_.push_back({std::string(report.topic),
                                 report.key ? std::string(*report.key) : std::string(),
                                 kafka::error_description(report.error)});
        });
}

Publisher::~Publisher() {
    if (abandoned_) return;
    try {
        (void)flush();
    } catch (const std::exception& e) {
        log::error("kt publisher: {}", e.what());
    }
}

void Publisher::abandon() {
    producer_->purge();
    failures_.clear();
    abandoned_ = true;
}

void Publisher::queue(std::string_view topic, std::string_view id) {
    producer_->produce(topic, id, wire::instant_message(id));
}

void Publisher::queue(std::string_view topic, std::span<const std::string> ids) {
    for (const auto& id : ids) queue(topic, id);
}

const std::string& Publisher::delay_topic(std::string_view topic) const {
    const auto it = options_.delay_topics.find(topic);
    if (it == options_.delay_topics.end()) {
        throw Error(fmt::format("no delay stage for topic {}: no delayer has it as target", topic));
    }
    return it->second;
}

void Publisher::delay(std::string_view topic, std::string_view id) {
    const std::string& destination = delay_topic(topic);
    producer_->produce(destination, id,
                       wire::delay_envelope(wire::instant_message(id), topic, options_.now()));
}

void Publisher::delay(std::string_view topic, std::span<const std::string> ids) {
    const std::string& destination = delay_topic(topic);
    const double now = options_.now();
    for (const auto& id : ids) {
        producer_->produce(destination, id,
                           wire::delay_envelope(wire::instant_message(id), topic, now));
    }
}

std::uint64_t Publisher::flush() {
    const kafka::FlushResult result = producer_->flush(options_.flush_timeout);
    if (!failures_.empty()) throw PublishError(std::exchange(failures_, {}));
    return result.delivered;
}

}  // namespace kt::app
