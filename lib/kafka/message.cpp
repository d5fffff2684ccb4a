#include "lib/kafka/message.hpp"

namespace kt::kafka {

namespace {
std::string_view bytes(const void* data, std::size_t size) noexcept {
    return data == nullptr ? std::string_view()
                           : std::string_view(static_cast<const char*>(data), size);
}
}  // namespace

std::string Message::error_text() const {
    if (!is_error()) return {};
    return rd_kafka_message_errstr(message_.get());
}

std::string_view Message::topic() const noexcept {
    if (message_->rkt == nullptr) return {};
    return rd_kafka_topic_name(message_->rkt);
}

std::optional<std::string_view> Message::key() const noexcept {
    if (message_->key == nullptr) return std::nullopt;
    return bytes(message_->key, message_->key_len);
}

std::string_view Message::payload() const noexcept {
    return bytes(message_->payload, message_->len);
}

std::optional<std::chrono::milliseconds> Message::timestamp() const noexcept {
    rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
    const std::int64_t ms = rd_kafka_message_timestamp(message_.get(), &type);
    if (type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE || ms < 0) return std::nullopt;
    return std::chrono::milliseconds(ms);
}

std::vector<Header> Message::headers() const {
    std::vector<Header> result;
    rd_kafka_headers_t* hdrs = nullptr;
    if (rd_kafka_message_headers(message_.get(), &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return result;
    }
    const char* name = nullptr;
    const void* value = nullptr;
    std::size_t size = 0;
    for (std::size_t i = 0;
         rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
        Header h{name, std::nullopt};
        if (value != nullptr) h.value = bytes(value, size);
        result.push_back(h);
    }
    return result;
}

std::optional<std::string_view> Message::header(const char* name) const noexcept {
    rd_kafka_headers_t* hdrs = nullptr;
    if (rd_kafka_message_headers(message_.get(), &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return std::nullopt;
    }
    const void* value = nullptr;
    std::size_t size = 0;
    if (rd_kafka_header_get_last(hdrs, name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        value == nullptr) {
        return std::nullopt;
    }
    return bytes(value, size);
}

}  // namespace kt::kafka
