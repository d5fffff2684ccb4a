#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lib/kafka/detail/handles.hpp"
#include "lib/kafka/error.hpp"
#include "lib/kafka/message.hpp"
#include "lib/kafka/metadata.hpp"
#include "lib/kafka/options.hpp"
#include "lib/kafka/topic_partition.hpp"
#include "lib/non_copyable.hpp"

namespace kt::kafka {

/// One message to produce. Bytes are copied by produce(); nothing needs to outlive the call.
struct Record {
    std::string_view topic;
    /// Partitioned by key (murmur2_random, as Java clients do) unless `partition` is set.
    std::optional<std::string_view> key;
    std::string_view value;
    std::span<const Header> headers;
    std::int32_t partition = kAnyPartition;
    /// Caller's tag handed back in the DeliveryReport (e.g. an index into a batch).
    std::uint64_t tag = 0;
};

/// Outcome of one produced message, as librdkafka reports it once acknowledged or given up.
struct DeliveryReport {
    std::string_view topic;
    std::int32_t partition = kAnyPartition;
    std::int64_t offset = kNoOffset;
    ErrorCode error = ErrorCode::kNoError;
    std::uint64_t tag = 0;
    /// The message's key (nullopt when it had none); lives only during the callback.
    std::optional<std::string_view> key;

    /// True when the broker acknowledged the message.
    [[nodiscard]] bool ok() const noexcept { return error == ErrorCode::kNoError; }
};

/// Delivery reports counted since the previous flush().
struct FlushResult {
    std::uint64_t delivered = 0;
    std::uint64_t failed = 0;
    /// Error of the first failed delivery, ErrorCode::kNoError when none failed.
    ErrorCode first_error = ErrorCode::kNoError;

    /// True when every message reported since the previous flush was acknowledged.
    [[nodiscard]] bool ok() const noexcept { return failed == 0; }
};

/// Asynchronous producer. Defaults (overridable through Options::properties):
/// enable.idempotence=true, partitioner=murmur2_random. Delivery reports are served on the
/// caller's thread inside produce()/poll()/flush(). Not thread-safe. Registered with librdkafka
/// as opaque, so neither copied nor moved.
class Producer : private NonCopyable {
public:
    /// Called once per produced message with its outcome; `report.topic` lives only during the
    /// call.
    using DeliveryCallback = std::function<void(const DeliveryReport&)>;

    /// Creates the client; throws kt::Error when a property is rejected.
    explicit Producer(const Options& options, DeliveryCallback on_delivery = {});
    /// Destroys the client; messages not yet acknowledged are abandoned (flush() first).
    ~Producer();

    /// Queues `record`; when the local queue is full, serves delivery reports and retries up to
    /// Options::queue_full_timeout. Throws KafkaError (e.g. unknown partition, queue still full).
    void produce(const Record& record);
    /// As produce(record), but the wait for room in a full queue ends as soon as `stop` is
    /// requested: false then, with nothing queued.
    [[nodiscard]] bool produce(const Record& record, const std::stop_token& stop);
    /// As produce(record), with the message's Kafka timestamp set to `timestamp` (since the
    /// epoch) instead of the time of producing.
    void produce(const Record& record, std::chrono::milliseconds timestamp);
    /// Shorthand for produce(Record{topic, key, value, headers}).
    void produce(std::string_view topic, std::optional<std::string_view> key,
                 std::string_view value, std::span<const Header> headers = {});
    /// Serves delivery reports, waiting up to `timeout` for the first; returns how many events.
    int poll(std::chrono::milliseconds timeout);
    /// Waits until every queued message has a delivery report; returns the counts since the last
    /// flush. Throws KafkaError (retryable, ErrorCode::kTimedOut) when some are still
    /// outstanding after `timeout` (counts are then kept for the next flush).
    FlushResult flush(std::chrono::milliseconds timeout);
    /// Drops every message still queued or in flight (each is reported as failed on the next
    /// poll or flush); for a caller that gave up waiting.
    void purge();
    /// Messages queued or in flight, not yet reported.
    [[nodiscard]] std::size_t in_flight() const noexcept;
    /// Every topic the cluster knows; throws KafkaError on timeout.
    [[nodiscard]] std::vector<TopicMetadata> list_topics(std::chrono::milliseconds timeout);

private:
    struct StringHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };

    static void delivery_trampoline(rd_kafka_t* rk, const rd_kafka_message_t* message,
                                    void* opaque);
    void on_delivery(const rd_kafka_message_t* message) noexcept;
    rd_kafka_topic_t* topic_handle(std::string_view topic);
    bool enqueue(const Record& record, const std::stop_token& stop,
                 std::optional<std::chrono::milliseconds> timestamp);
    void rethrow_callback_error();

    DeliveryCallback on_delivery_;
    std::chrono::milliseconds queue_full_timeout_;
    FlushResult since_flush_;
    /// Messages librdkafka accepted and has not reported yet (its outq_len also counts events).
    std::size_t unreported_ = 0;
    std::exception_ptr callback_error_;
    detail::HandlePtr handle_;
    // Declared after handle_ so topic handles are released before the client is destroyed.
    std::unordered_map<std::string, detail::TopicPtr, StringHash, std::equal_to<>> topics_;
};

}  // namespace kt::kafka
