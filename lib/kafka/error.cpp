#include "lib/kafka/error.hpp"

#include <fmt/format.h>

#include "lib/kafka/detail/error_code.hpp"

namespace kt::kafka {

namespace {

// The named codes are librdkafka's numbers.
constexpr bool same(ErrorCode code, rd_kafka_resp_err_t err) {
    return static_cast<int>(code) == static_cast<int>(err);
}
static_assert(same(ErrorCode::kNoError, RD_KAFKA_RESP_ERR_NO_ERROR));
static_assert(same(ErrorCode::kOffsetOutOfRange, RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE));
static_assert(same(ErrorCode::kUnknownTopicOrPart, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART));
static_assert(same(ErrorCode::kNotLeaderForPartition,
                   RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION));
static_assert(same(ErrorCode::kMsgSizeTooLarge, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE));
static_assert(same(ErrorCode::kNotCoordinator, RD_KAFKA_RESP_ERR_NOT_COORDINATOR));
static_assert(same(ErrorCode::kIllegalGeneration, RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION));
static_assert(same(ErrorCode::kUnknownMemberId, RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID));
static_assert(same(ErrorCode::kRebalanceInProgress, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS));
static_assert(same(ErrorCode::kTopicAuthorizationFailed,
                   RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED));
static_assert(same(ErrorCode::kTransport, RD_KAFKA_RESP_ERR__TRANSPORT));
static_assert(same(ErrorCode::kMsgTimedOut, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT));
static_assert(same(ErrorCode::kUnknownPartition, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION));
static_assert(same(ErrorCode::kUnknownTopic, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
static_assert(same(ErrorCode::kInvalidArg, RD_KAFKA_RESP_ERR__INVALID_ARG));
static_assert(same(ErrorCode::kTimedOut, RD_KAFKA_RESP_ERR__TIMED_OUT));
static_assert(same(ErrorCode::kQueueFull, RD_KAFKA_RESP_ERR__QUEUE_FULL));
static_assert(same(ErrorCode::kFatal, RD_KAFKA_RESP_ERR__FATAL));
static_assert(same(ErrorCode::kMaxPollExceeded, RD_KAFKA_RESP_ERR__MAX_POLL_EXCEEDED));
static_assert(same(ErrorCode::kAssignmentLost, RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST));

}  // namespace

std::string error_name(ErrorCode code) { return rd_kafka_err2name(detail::rd_code(code)); }

std::string error_description(ErrorCode code) { return rd_kafka_err2str(detail::rd_code(code)); }

bool is_retryable_code(ErrorCode error) noexcept {
    switch (detail::rd_code(error)) {
        case RD_KAFKA_RESP_ERR__TRANSPORT:
        case RD_KAFKA_RESP_ERR__TIMED_OUT:
        case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
        case RD_KAFKA_RESP_ERR__QUEUE_FULL:
        case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
        case RD_KAFKA_RESP_ERR__RESOLVE:
        case RD_KAFKA_RESP_ERR__WAIT_COORD:
        case RD_KAFKA_RESP_ERR__IN_PROGRESS:
        case RD_KAFKA_RESP_ERR__PREV_IN_PROGRESS:
        case RD_KAFKA_RESP_ERR__RETRY:
        case RD_KAFKA_RESP_ERR__NODE_UPDATE:
        case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
        case RD_KAFKA_RESP_ERR__WAIT_CACHE:
        case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
        case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
        case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
        case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
        case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
        case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
        case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
        case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
        case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
        case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
        case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
        case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
        case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
        case RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR:
        case RD_KAFKA_RESP_ERR_FETCH_SESSION_ID_NOT_FOUND:
        case RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE:
        case RD_KAFKA_RESP_ERR_PREFERRED_LEADER_NOT_AVAILABLE:
        case RD_KAFKA_RESP_ERR_UNSTABLE_OFFSET_COMMIT:
        case RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED:
            return true;
        default:
            return false;
    }
}

bool is_membership_lost_code(ErrorCode error) noexcept {
    switch (detail::rd_code(error)) {
        case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
        case RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION:
        case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
        case RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID:
        case RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST:
        case RD_KAFKA_RESP_ERR__MAX_POLL_EXCEEDED:
        case RD_KAFKA_RESP_ERR__STATE:
            return true;
        default:
            return false;
    }
}

bool is_permanent_delivery_code(ErrorCode error) noexcept {
    switch (detail::rd_code(error)) {
        case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
        case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
        case RD_KAFKA_RESP_ERR_INVALID_RECORD:
        case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
        case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
        case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
        case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
        case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
        case RD_KAFKA_RESP_ERR__INVALID_ARG:
            return true;
        default:
            return false;
    }
}

KafkaError::KafkaError(const std::string& what, ErrorCode code)
    : KafkaError(what, code, is_retryable_code(code), code == ErrorCode::kFatal) {}

KafkaError::KafkaError(const std::string& what, ErrorCode code, bool retryable, bool fatal)
    : Error(fmt::format("{}: {} ({})", what, error_name(code), error_description(code)),
            retryable && !fatal),
      code_(code),
      fatal_(fatal) {}

namespace detail {

KafkaError error_of(const std::string& what, rd_kafka_resp_err_t err) {
    return KafkaError(what, code_of(err));
}

KafkaError error_of(const std::string& what, const rd_kafka_error_t* error) {
    const ErrorCode code = code_of(rd_kafka_error_code(error));
    const bool retryable = rd_kafka_error_is_retriable(error) != 0 || is_retryable_code(code);
    return KafkaError(what, code, retryable, rd_kafka_error_is_fatal(error) != 0);
}

}  // namespace detail

}  // namespace kt::kafka
