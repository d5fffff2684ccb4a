#pragma once

#include <string>

#include "lib/error.hpp"

namespace kt::kafka {

/// A Kafka error code as librdkafka reports it (same numbers: negative values are the client's
/// own, positive ones the broker's). Any code librdkafka returns is a valid value; the named
/// ones are those kt tests for.
enum class ErrorCode : int {
    kNoError = 0,
    kOffsetOutOfRange = 1,
    kUnknownTopicOrPart = 3,
    kNotLeaderForPartition = 6,
    kMsgSizeTooLarge = 10,
    kNotCoordinator = 16,
    kIllegalGeneration = 22,
    kUnknownMemberId = 25,
    kRebalanceInProgress = 27,
    kTopicAuthorizationFailed = 29,
    kTransport = -195,            ///< broker connection lost or refused
    kMsgTimedOut = -192,          ///< delivery not acknowledged within message.timeout.ms
    kUnknownPartition = -190,     ///< the partition does not exist in the cluster
    kUnknownTopic = -188,         ///< the topic does not exist in the cluster
    kInvalidArg = -186,           ///< the client rejected an argument
    kTimedOut = -185,             ///< the operation's own timeout expired
    kQueueFull = -184,            ///< the local producer queue is full
    kFatal = -150,                ///< the client instance raised a fatal error
    kMaxPollExceeded = -147,      ///< max.poll.interval.ms passed without a poll
    kAssignmentLost = -142,       ///< the group member lost its partitions
};

/// librdkafka's short name of `code`, e.g. "_TIMED_OUT" or "TOPIC_AUTHORIZATION_FAILED".
[[nodiscard]] std::string error_name(ErrorCode code);
/// librdkafka's human-readable description of `code`, e.g. "Local: Timed out".
[[nodiscard]] std::string error_description(ErrorCode code);

/// True when librdkafka or the broker may succeed if the same request is repeated later.
[[nodiscard]] bool is_retryable_code(ErrorCode code) noexcept;

/// True when `code` means this consumer is no longer the group member that owned its
/// partitions (dropped after max.poll.interval.ms, fenced, or in the middle of a rebalance): a
/// commit will not succeed by repeating it; poll to rejoin instead.
[[nodiscard]] bool is_membership_lost_code(ErrorCode code) noexcept;

/// True when a failed delivery with `code` will fail again however often it is retried (the
/// message is too large or invalid, the topic is missing or forbidden).
[[nodiscard]] bool is_permanent_delivery_code(ErrorCode code) noexcept;

/// A Kafka operation failed: carries librdkafka's error code; `retryable()` says whether waiting
/// helps, `fatal()` whether the client instance is unusable and must be recreated.
class KafkaError : public Error {
public:
    /// `what` describes the operation; the code's name and description are appended.
    KafkaError(const std::string& what, ErrorCode code);
    /// As above, with the retryable and fatal flags given (e.g. as librdkafka's error object
    /// reports them) rather than derived from the code.
    KafkaError(const std::string& what, ErrorCode code, bool retryable, bool fatal);

    /// The error code, e.g. ErrorCode::kTimedOut.
    [[nodiscard]] ErrorCode code() const noexcept { return code_; }
    /// True when the client instance raised a fatal error (e.g. idempotence violated).
    [[nodiscard]] bool fatal() const noexcept { return fatal_; }

private:
    ErrorCode code_;
    bool fatal_;
};

}  // namespace kt::kafka
