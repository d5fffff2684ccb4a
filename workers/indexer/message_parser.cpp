#include "workers/indexer/message_parser.hpp"

#include <fmt/format.h>

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
/// member is ignored like the member itself. Anything else stays poison with `dom_error`.
ParsedMessage parse_big_numbers(std::string_view payload, const char* dom_error) {
    auto not_json = [&] { return poison(fmt::format("not JSON: {}", dom_error)); };
    simdjson::ondemand::parser parser;
    const simdjson::padded_string padded(payload);
    simdjson::ondemand::document doc;
    simdjson::ondemand::object object;
    simdjson::ondemand::value id;
    simdjson::ondemand::json_type type;
    if (parser.iterate(padded).get(doc) || doc.get_object().get(object) ||
        object.find_field_unordered("id").get(id) || id.type().get(type)) {
        return not_json();
    }
    if (type == simdjson::ondemand::json_type::string) {
        std::string_view text;
        if (id.get_string().get(text)) return not_json();
        return string_id(text);
    }
    if (type != simdjson::ondemand::json_type::number) return not_json();
    std::string_view token = id.raw_json_token();
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t' || token.back() == '\n' ||
                              token.back() == '\r')) {
        token.remove_suffix(1);
    }
    // JSON integers have no leading zeros: `01` stays poison.
    const std::string_view digits = token.starts_with('-') ? token.substr(1) : token;
    if (!is_integer_token(token) || (digits.size() > 1 && digits.front() == '0')) {
        return not_json();
    }
    return {true, std::string(token), {}};
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
        if (err == simdjson::NUMBER_ERROR) {
            return parse_big_numbers(payload, simdjson::error_message(err));
        }
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
