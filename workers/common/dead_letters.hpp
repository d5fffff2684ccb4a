#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "lib/kafka/options.hpp"
#include "lib/kafka/producer.hpp"

namespace kt::workers {

/// Largest payload copied into a dead letter (real Kafka's default limit is about 1 MB).
inline constexpr std::size_t kMaxDeadLetterBytes = 512 * 1024;

/// Writes poison messages to a dead-letter topic: the original key and value, the reason in
/// `kt.error`, where it came from in `kt.topic`, `kt.partition` and `kt.offset`, and the worker
/// entry in `kt.<kind>` (`kt.index: products`). A value over kMaxDeadLetterBytes keeps its head
/// and gets `kt.original_bytes`, so the dead letter itself can always be written. Each one is
/// logged at warn. Not thread-safe.
class DeadLetterWriter {
public:
    /// `kind` and `name` name the worker entry (`index`, `products`); `topic` is the
    /// dead-letter topic. Throws kt::Error when the producer cannot be created.
    DeadLetterWriter(const kafka::Options& options, std::string topic, std::string kind,
                     std::string name);

    /// Queues one dead letter for the message at `source_topic`:`partition`@`offset`.
    void send(std::string_view value, std::optional<std::string_view> key,
              const std::string& reason, std::string_view source_topic, std::int32_t partition,
              std::int64_t offset);
    /// Waits until every queued dead letter is acknowledged; throws a retryable kt::Error when
    /// any was refused or is still unacknowledged after `timeout` (send those again).
    void flush(std::chrono::milliseconds timeout);
    /// The dead-letter topic.
    [[nodiscard]] const std::string& topic() const noexcept { return topic_; }

private:
    std::string topic_;
    std::string kind_;
    std::string name_;
    std::string owner_header_;
    std::unique_ptr<kafka::Producer> producer_;
};

}  // namespace kt::workers
