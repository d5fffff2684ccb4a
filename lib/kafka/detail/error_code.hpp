#pragma once

#include <librdkafka/rdkafka.h>

#include <string>

#include "lib/kafka/error.hpp"

namespace kt::kafka::detail {

/// kt's code for librdkafka's `err` (the same number).
[[nodiscard]] constexpr ErrorCode code_of(rd_kafka_resp_err_t err) noexcept {
    return static_cast<ErrorCode>(err);
}

/// librdkafka's code for kt's `code` (the same number).
[[nodiscard]] constexpr rd_kafka_resp_err_t rd_code(ErrorCode code) noexcept {
    return static_cast<rd_kafka_resp_err_t>(code);
}

/// A KafkaError for `err`, as KafkaError(what, code_of(err)).
[[nodiscard]] KafkaError error_of(const std::string& what, rd_kafka_resp_err_t err);

/// A KafkaError with the code, retriable and fatal flags of librdkafka's `error` (which the
/// caller still owns).
[[nodiscard]] KafkaError error_of(const std::string& what, const rd_kafka_error_t* error);

}  // namespace kt::kafka::detail
