#pragma once

#include <librdkafka/rdkafka.h>

#include <string>

#include "lib/error.hpp"

namespace kt::kafka {

/// True when librdkafka or the broker may succeed if the same request is repeated later.
[[nodiscard]] bool is_retryable_code(rd_kafka_resp_err_t code) noexcept;

/// True when `code` means this consumer is no longer the group member that owned its
/// partitions (dropped after max.poll.interval.ms, fenced, or in the middle of a rebalance): a
/// commit will not succeed by repeating it; poll to rejoin instead.
[[nodiscard]] bool is_membership_lost_code(rd_kafka_resp_err_t code) noexcept;

/// A Kafka operation failed: carries librdkafka's error code; `retryable()` says whether waiting
/// helps, `fatal()` whether the client instance is unusable and must be recreated.
class KafkaError : public Error {
public:
    /// `what` describes the operation; the code's name and description are appended.
    KafkaError(const std::string& what, rd_kafka_resp_err_t code);
    /// Takes retriable/fatal flags from an rd_kafka_error_t (which the caller still owns).
    KafkaError(const std::string& what, const rd_kafka_error_t* error);

    /// librdkafka error code, e.g. RD_KAFKA_RESP_ERR__TIMED_OUT.
    [[nodiscard]] rd_kafka_resp_err_t code() const noexcept { return code_; }
    /// True when the client instance raised a fatal error (e.g. idempotence violated).
    [[nodiscard]] bool fatal() const noexcept { return fatal_; }

private:
    KafkaError(const std::string& what, rd_kafka_resp_err_t code, bool retryable, bool fatal);

    rd_kafka_resp_err_t code_;
    bool fatal_;
};

}  // namespace kt::kafka
