#pragma once

#include <string>
#include <string_view>

namespace kt::wire {

/// The JSON value of id `id`: an integer for all-digit ids without a leading zero that fit in
/// 64 bits (`42`), a JSON string otherwise (`"sku-1"`, `"007"`).
[[nodiscard]] std::string id_json(std::string_view id);

/// The instant message of `id`: `{"id":42}` or `{"id":"sku-1"}`.
[[nodiscard]] std::string instant_message(std::string_view id);

/// The instant message a cascade sends for child `id`: `{"id":42,"cascaded":true}`.
[[nodiscard]] std::string cascaded_message(std::string_view id);

/// The kafka_tools delay envelope `{"payload":<payload_json>,"created_at":<unix seconds>,
/// "topic":"<topic>"}`. `payload_json` must already be a JSON object (copied verbatim);
/// `created_at` is written with microsecond precision.
[[nodiscard]] std::string delay_envelope(std::string_view payload_json, std::string_view topic,
                                         double created_at);

}  // namespace kt::wire
