#include "workers/common/message_parser.hpp"

#include <fmt/format.h>

#include "lib/wire/json_scan.hpp"

namespace kt::workers {

namespace {

ParsedMessage poison(std::string reason) {
    return {false, {}, std::move(reason)};
}

bool is_integer_token(std::string_view token) {
    std::size_t i = token.starts_with('-') ? 1 : 0;
    if (i == token.size()) return false;
    for (; i < token.size(); ++i) {
        if (token[i] < '0' || token[i] > '9') return false;
    }
    return true;
}

/// The id of a string `"id"` member, or why it cannot be one.
ParsedMessage string_id(std::string_view text) {
    if (text.empty()) return poison("\"id\" is an empty string");
    if (text.size() > kMaxIdBytes) {
        return poison(fmt::format("\"id\" is {} bytes long (limit {})", text.size(), kMaxIdBytes));
    }
    if (text.find('\0') != std::string_view::npos) return poison("\"id\" contains NUL");
    return {true, std::string(text), {}};
}

/// Reads a message the DOM parser refused over a number: it refuses integers beyond 64 bits
/// anywhere, yet such an id still names a row of a numeric key, and such a number in another
/// member is ignored like the member itself. The whole text is still read strictly (syntax,
/// UTF-8, depth): anything else stays poison.
ParsedMessage parse_big_numbers(std::string_view payload) {
    const wire::JsonScan scan = wire::scan_json(payload, "id");
    if (!scan.ok) return poison(fmt::format("not JSON: {}", scan.error));
    if (!scan.is_object) return poison("not a JSON object");
    switch (scan.kind) {
        case wire::MemberKind::kAbsent: return poison("no \"id\" member");
        case wire::MemberKind::kInteger: return {true, scan.value, {}};
        case wire::MemberKind::kString: return string_id(scan.value);
        case wire::MemberKind::kNumber:
            return poison(
                fmt::format("\"id\" must be an integer or a string, got {}", scan.value));
        case wire::MemberKind::kOther: break;
    }
    return poison("\"id\" must be an integer or a string");
}

}  // namespace

ParsedMessage MessageParser::parse(std::string_view payload) {
    if (payload.size() > kMaxMessageBytes) {
        return poison(fmt::format("oversized message: {} bytes (limit {})", payload.size(),
                                  kMaxMessageBytes));
    }
    if (payload.empty()) return poison("empty message");
    simdjson::dom::element root;
    if (auto err = parser_.parse(payload.data(), payload.size()).get(root)) {
        if (err == simdjson::UTF8_ERROR) return poison("not valid UTF-8");
        if (err == simdjson::NUMBER_ERROR) return parse_big_numbers(payload);
        return poison(fmt::format("not JSON: {}", simdjson::error_message(err)));
    }
    simdjson::dom::object object;
    if (root.get_object().get(object)) return poison("not a JSON object");
    simdjson::dom::element id;
    if (object["id"].get(id)) return poison("no \"id\" member");
    switch (id.type()) {
        case simdjson::dom::element_type::INT64:
            return {true, std::to_string(id.get_int64().value_unsafe()), {}};
        case simdjson::dom::element_type::UINT64:
            return {true, std::to_string(id.get_uint64().value_unsafe()), {}};
        case simdjson::dom::element_type::DOUBLE: {
            // A big integer beyond 64 bits still names a row; a fraction never does.
            const std::string token = simdjson::minify(id);
            if (is_integer_token(token)) return {true, token, {}};
            return poison(fmt::format("\"id\" must be an integer or a string, got {}", token));
        }
        case simdjson::dom::element_type::STRING:
            return string_id(id.get_string().value_unsafe());
        default:
            return poison("\"id\" must be an integer or a string");
    }
}

}  // namespace kt::workers
