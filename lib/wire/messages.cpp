#include "lib/wire/messages.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace kt::wire {

std::string id_json(std::string_view id) {
    // 18 digits always fit in a signed 64-bit integer; longer ids stay text.
    const bool numeric =
        !id.empty() && id.size() < 19 && id[0] != '0' &&
        std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (numeric) return std::string(id);
    return nlohmann::json(std::string(id))
        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string instant_message(std::string_view id) {
    return fmt::format(R"({{"id":{}}})", id_json(id));
}

std::string cascaded_message(std::string_view id) {
    return fmt::format(R"({{"id":{},"cascaded":true}})", id_json(id));
}

std::string delay_envelope(std::string_view payload_json, std::string_view topic,
                           double created_at) {
    return fmt::format(R"({{"payload":{},"created_at":{:.6f},"topic":{}}})", payload_json,
                       created_at,
                       nlohmann::json(std::string(topic))
                           .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace kt::wire
