#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "lib/kafka/options.hpp"
#include "lib/kafka/producer.hpp"
#include "workers/common/ports.hpp"

namespace kt::workers {

/// Largest payload copied into a dead letter (real Kafka's default limit is about 1 MB).
inline constexpr std::size_t kMaxDeadLetterBytes = 512 * 1024;

/// Writes poison messages to a dead-letter topic: the original key and value, the reason in
/// `kt.error`, where it came from in `kt.topic`, `kt.partition` and `kt.offset`, and the worker
/// entry in `kt.<kind>` (`kt.index: products`). A value over kMaxDeadLetterBytes keeps its head
/// and gets `kt.original_bytes`, so the dead letter itself can always be written. Each one is
/// logged at warn. Not thread-safe.
class DeadLetterWriter final : public DeadLetterSink {
public:
    /// `kind` and `name` name the worker entry (`index`, `products`); `topic` is the
    /// dead-letter topic. Throws kt::Error when the producer cannot be created.
    DeadLetterWriter(const kafka::Options& options, std::string topic, std::string kind,
                     std::string name);

    /// Queues one dead letter for the message at `source_topic`:`partition`@`offset`.
    void send(std::string_view value, std::optional<std::string_view> key,
              const std::string& reason, std::string_view source_topic, std::int32_t partition,
              std::int64_t offset) override;
    /// Waits until every queued dead letter is acknowledged; throws a retryable kt::Error when
    /// any was refused or is still unacknowledged after `timeout` (send those again).
    void flush(std::chrono::milliseconds timeout) override;
    /// The dead-letter topic.
    [[nodiscard]] const std::string& topic() const noexcept { return topic_; }

private:
    std::string topic_;
    std::string kind_;
    std::string name_;
    std::string owner_header_;
    std::unique_ptr<kafka::Producer> producer_;
};

/// The dead letters of one batch, kept across retries of the batch: why each dead message (by
/// its index in the batch) is dead, and which were handed to the producer since the last failed
/// flush.
struct BatchDeadLetters {
    std::map<std::size_t, std::string> reasons;
    std::set<std::size_t> sent;

    /// Marks message `i` dead for `reason` (the first reason given wins).
    void add(std::size_t i, std::string reason) { reasons.emplace(i, std::move(reason)); }
    /// Sends the ones not sent yet from `messages` (of `source_topic`) and waits until every one
    /// is acknowledged; after a failed flush all are sent again on the next call. Returns how
    /// many were handed to the producer by this call; throws what DeadLetterWriter::flush throws.
    std::size_t deliver(DeadLetterSink& writer, std::span<const InMessage> messages,
                        std::string_view source_topic, std::chrono::milliseconds timeout);
};

}  // namespace kt::workers
