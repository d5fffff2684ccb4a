#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/kafka/detail/handles.hpp"
#include "lib/kafka/error.hpp"

namespace kt::kafka {

/// One Kafka header; a null value is distinct from an empty one.
struct Header {
    std::string_view name;
    std::optional<std::string_view> value;
};

/// A consumed message or a consumer error event. Owns librdkafka's rd_kafka_message_t without
/// copying it: the string_views it hands out live as long as this object. Move-only.
class Message {
public:
    /// Takes ownership of `message` (must not be null).
    explicit Message(detail::MessagePtr message) noexcept : message_(std::move(message)) {}

    /// True for an error event (see error()) rather than a message.
    [[nodiscard]] bool is_error() const noexcept {
        return message_->err != RD_KAFKA_RESP_ERR_NO_ERROR;
    }
    /// The event's error code, ErrorCode::kNoError for a message.
    [[nodiscard]] ErrorCode error() const noexcept { return static_cast<ErrorCode>(message_->err); }
    /// Human-readable error of an error event; empty for a message.
    [[nodiscard]] std::string error_text() const;
    /// Topic name; empty when the event concerns no topic.
    [[nodiscard]] std::string_view topic() const noexcept;
    /// Partition number.
    [[nodiscard]] std::int32_t partition() const noexcept { return message_->partition; }
    /// Offset of this message in its partition.
    [[nodiscard]] std::int64_t offset() const noexcept { return message_->offset; }
    /// Key bytes, or nullopt when the message has no key.
    [[nodiscard]] std::optional<std::string_view> key() const noexcept;
    /// Value bytes (empty for a null value).
    [[nodiscard]] std::string_view payload() const noexcept;
    /// Create/append time in milliseconds since the epoch, when the broker provides one.
    [[nodiscard]] std::optional<std::chrono::milliseconds> timestamp() const noexcept;
    /// All headers in order (allocates a vector; see header() for one lookup).
    [[nodiscard]] std::vector<Header> headers() const;
    /// Value of the last header named `name`; nullopt when absent or null-valued.
    [[nodiscard]] std::optional<std::string_view> header(const char* name) const noexcept;

private:
    detail::MessagePtr message_;
};

}  // namespace kt::kafka
