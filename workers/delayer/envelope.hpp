#pragma once

#include <simdjson.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace kt::workers {

/// Largest delay envelope accepted; anything bigger is poison.
inline constexpr std::size_t kMaxEnvelopeBytes = 1 << 20;
/// Longest payload id accepted, in bytes (Elasticsearch's `_id` limit).
inline constexpr std::size_t kMaxEnvelopeIdBytes = 512;

/// One kafka_tools delay envelope read from a message value, or why it is poison.
struct ParsedEnvelope {
    bool ok = false;
    std::string reason;  ///< when not ok: a short human-readable reason
    /// The `payload` object exactly as written: `value.substr(payload_pos, payload_len)`.
    std::size_t payload_pos = 0;
    std::size_t payload_len = 0;
    std::string id;  ///< the payload's id as text (`42` or the string's content)
    /// `created_at` in unix seconds; nullopt when absent or null.
    std::optional<double> created_at;
    /// `topic`; nullopt when absent or null (the delayer's target applies).
    std::optional<std::string> topic;
};

/// True for a legal Kafka topic name: 1 to 249 of [a-zA-Z0-9._-], not "." or "..".
[[nodiscard]] bool is_valid_topic_name(std::string_view name) noexcept;

/// Reads delay envelopes `{"payload": {"id": …}, "created_at": <float>, "topic": "<topic>"}`
/// (other members ignored). The payload must be an object whose `id` is an integer or a
/// non-empty string. Pure; keeps its parsers' buffers between calls, so one per thread.
class EnvelopeParser {
public:
    /// Parses one message value. Never throws.
    ParsedEnvelope parse(std::string_view value);

private:
    std::string buffer_;  ///< the value plus simdjson's padding
    simdjson::dom::parser validator_;
    simdjson::ondemand::parser parser_;
    simdjson::ondemand::parser payload_parser_;
};

}  // namespace kt::workers
