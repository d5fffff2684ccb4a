#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lib/error.hpp"
#include "lib/kafka/options.hpp"
#include "lib/non_copyable.hpp"

namespace kt::kafka {
class Producer;
}

namespace kt::app {

/// Settings of Publisher.
struct PublisherOptions {
    kafka::Options kafka;
    /// Model topic → the delay topic its delay() messages go to (the first delay stage).
    std::map<std::string, std::string, std::less<>> delay_topics;
    /// How long flush() (and the destructor) wait for Kafka's acknowledgements.
    std::chrono::milliseconds flush_timeout{std::chrono::seconds(30)};
    /// Unix time in seconds for `created_at`; defaults to the system clock (a test seam).
    std::function<double()> now;
};

/// A message Kafka did not acknowledge.
struct DeliveryFailure {
    std::string topic;
    std::string id;
    std::string error;
};

/// Thrown by Publisher::flush when some messages were not acknowledged; retryable.
class PublishError : public Error {
public:
    explicit PublishError(std::vector<DeliveryFailure> failures);
    /// Every message that failed since the previous flush.
    [[nodiscard]] const std::vector<DeliveryFailure>& failures() const noexcept {
        return failures_;
    }

private:
    std::vector<DeliveryFailure> failures_;
};

/// The application side of kt: tells the workers which rows changed, in the kafka_tools wire
/// format. Call delay() when a row is saved (inside or before the transaction) and queue()
/// after the transaction committed; if the process dies in between, the delay message still
/// brings the index up to date. Messages are keyed by id (one id, one partition).
///
///   kt::app::Publisher kt(kt::app::publisher_options(config));
///   kt.delay("products", "42");   // before COMMIT
///   kt.queue("products", "42");   // after COMMIT
///   kt.flush();                   // throws PublishError naming the ids Kafka refused
///
/// Sending is asynchronous; flush() waits. The destructor flushes too, logging (never
/// throwing) what failed. Not thread-safe: one Publisher per thread, or a lock around it.
class Publisher : private NonCopyable {
public:
    /// Creates the Kafka producer; throws kt::Error on bad Kafka properties.
    explicit Publisher(PublisherOptions options);
    ~Publisher();

    /// Drops what Kafka has not acknowledged yet and skips the destructor's flush: for a caller
    /// whose flush() failed and that gives up (e.g. `kt produce` after its timeout).
    void abandon();

    /// An instant message `{"id": …}` to model topic `topic`.
    void queue(std::string_view topic, std::string_view id);
    /// Instant messages for every id (bulk updates).
    void queue(std::string_view topic, std::span<const std::string> ids);
    /// A delay envelope for `id` to the first delay stage of `topic`; throws kt::Error when the
    /// options name no delay topic for it.
    void delay(std::string_view topic, std::string_view id);
    /// Delay envelopes for every id.
    void delay(std::string_view topic, std::span<const std::string> ids);
    /// Waits until Kafka acknowledged everything sent so far; returns how many were. Throws
    /// PublishError listing each failed message (they are not resent), or kafka::KafkaError
    /// when acknowledgements are still missing after the flush timeout.
    std::uint64_t flush();

private:
    [[nodiscard]] const std::string& delay_topic(std::string_view topic) const;

    PublisherOptions options_;
    std::vector<DeliveryFailure> failures_;
    bool abandoned_ = false;  ///< abandon() was called: the destructor does not flush
    std::unique_ptr<kafka::Producer> producer_;
};

}  // namespace kt::app
