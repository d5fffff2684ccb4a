#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kt::devbroker {

/// Kafka API key for a request name ("Produce", "OffsetCommit", case-insensitive) or a decimal
/// number ("0"); nullopt when unknown.
[[nodiscard]] std::optional<std::int16_t> api_key_from_name(std::string_view name);

/// librdkafka error code for a name as rd_kafka_err2name prints it ("NOT_COORDINATOR",
/// "_TRANSPORT", optionally prefixed "RD_KAFKA_RESP_ERR_") or a decimal number; nullopt when
/// unknown.
[[nodiscard]] std::optional<rd_kafka_resp_err_t> error_from_name(std::string_view name);

/// "name:partitions" from --topic; nullopt when malformed or partitions < 1.
[[nodiscard]] std::optional<std::pair<std::string, int>> parse_topic_spec(std::string_view spec);

}  // namespace kt::devbroker
