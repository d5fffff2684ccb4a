#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

namespace kt::workers {

/// Largest instant message accepted; anything bigger is poison (kt only needs `{"id": …}`).
inline constexpr std::size_t kMaxMessageBytes = 1 << 20;
/// Elasticsearch's `_id` limit in bytes.
inline constexpr std::size_t kMaxIdBytes = 512;

/// Result of reading one instant message: the id as text, or why the message is poison.
struct ParsedMessage {
    bool ok = false;
    std::string id;      ///< when ok: the id as text (`42` or the string's content)
    std::string reason;  ///< when not ok: a short human-readable reason
};

/// Reads instant messages (`{"id": 42}` or `{"id": "sku-1"}`; other members ignored). Pure;
/// keeps its parser's buffers between calls, so one per thread.
class MessageParser {
public:
    /// Parses one message value. Never throws.
    ParsedMessage parse(std::string_view payload);

private:
    simdjson::dom::parser parser_;
};

}  // namespace kt::workers
