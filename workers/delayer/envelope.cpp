#include "workers/delayer/envelope.hpp"

#include <fmt/format.h>

#include <cmath>

#include "lib/wire/json_scan.hpp"

namespace kt::workers {

namespace {

namespace od = simdjson::ondemand;

ParsedEnvelope poison(std::string reason) {
    ParsedEnvelope out;
    out.reason = std::move(reason);
    return out;
}

ParsedEnvelope not_json(simdjson::error_code error) {
    if (error == simdjson::UTF8_ERROR) return poison("not valid UTF-8");
    return poison(fmt::format("not JSON: {}", simdjson::error_message(error)));
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string_view trim_right(std::string_view text) {
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    return text;
}

/// An integer JSON token: optional minus, digits, no leading zero (`0` itself is fine).
bool is_integer_token(std::string_view token) {
    const std::string_view digits = token.starts_with('-') ? token.substr(1) : token;
    if (digits.empty() || (digits.size() > 1 && digits.front() == '0')) return false;
    for (const char c : digits) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

/// Reads the payload's `id` into `out.id`; returns the reason when it cannot be one.
std::optional<std::string> read_id(od::parser& parser, const char* text, std::size_t length,
                                   std::size_t capacity, std::string& id) {
    od::document doc;
    od::object object;
    od::value value;
    od::json_type type;
    if (parser.iterate(text, length, capacity).get(doc) || doc.get_object().get(object)) {
        return "\"payload\" is not a JSON object";
    }
    // The first member whose key reads `id` once unescaped, as the indexer finds it when the
    // payload reaches it (find_field compares keys as written, so `"\u0069d"` would be missed).
    bool found = false;
    for (auto field_result : object) {
        od::field field;
        std::string_view key;
        if (std::move(field_result).get(field) || field.unescaped_key().get(key)) {
            return "\"payload\" is not valid JSON";
        }
        if (key == "id") {
            value = field.value();
            found = true;
            break;
        }
    }
    if (!found) return "\"payload\" has no \"id\"";
    if (value.type().get(type)) return "\"payload\" is not valid JSON";
    if (type == od::json_type::number) {
        const std::string_view token = trim_right(value.raw_json_token());
        if (!is_integer_token(token)) {
            return fmt::format("\"payload.id\" must be an integer or a string, got {}", token);
        }
        // `-0` is the integer 0, as the indexer reads it.
        id.assign(token == "-0" ? std::string_view("0") : token);
        return std::nullopt;
    }
    if (type != od::json_type::string) return "\"payload.id\" must be an integer or a string";
    std::string_view text_id;
    if (value.get_string().get(text_id)) return "\"payload.id\" is not a valid JSON string";
    if (text_id.empty()) return "\"payload.id\" is an empty string";
    if (text_id.size() > kMaxEnvelopeIdBytes) {
        return fmt::format("\"payload.id\" is {} bytes long (limit {})", text_id.size(),
                           kMaxEnvelopeIdBytes);
    }
    if (text_id.find('\0') != std::string_view::npos) return "\"payload.id\" contains NUL";
    id.assign(text_id);
    return std::nullopt;
}

/// Reads one member of an envelope into `out` (`payload`, `created_at`, `topic`; others are
/// ignored); returns the poison result when the member makes the envelope poison. `base` is the
/// start of the text, for the payload's position.
std::optional<ParsedEnvelope> read_member(std::string_view key, od::value& member,
                                          const char* base, ParsedEnvelope& out,
                                          bool& have_payload) {
    od::json_type type;
    if (const auto error = member.type().get(type)) return not_json(error);
    if (key == "payload") {
        od::object payload;
        std::string_view raw;
        if (type != od::json_type::object) return poison("\"payload\" must be a JSON object");
        if (const auto error = member.get_object().get(payload)) return not_json(error);
        if (const auto error = payload.raw_json().get(raw)) return not_json(error);
        raw = trim_right(raw);
        out.payload_pos = static_cast<std::size_t>(raw.data() - base);
        out.payload_len = raw.size();
        have_payload = true;
    } else if (key == "created_at") {
        if (type == od::json_type::null) {
            out.created_at.reset();
            return std::nullopt;
        }
        double seconds = 0;
        if (type != od::json_type::number || member.get_double().get(seconds) ||
            !std::isfinite(seconds)) {
            return poison("\"created_at\" must be a number (unix seconds)");
        }
        out.created_at = seconds;
    } else if (key == "topic") {
        if (type == od::json_type::null) {
            out.topic.reset();
            return std::nullopt;
        }
        std::string_view topic;
        if (type != od::json_type::string || member.get_string().get(topic)) {
            return poison("\"topic\" must be a string");
        }
        if (!is_valid_topic_name(topic)) {
            return poison(fmt::format("\"topic\" is not a valid Kafka topic name: \"{}\"",
                                      topic.substr(0, 300)));
        }
        out.topic = std::string(topic);
    }
    return std::nullopt;
}

}  // namespace

bool is_valid_topic_name(std::string_view name) noexcept {
    if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

ParsedEnvelope EnvelopeParser::parse(std::string_view value) {
    if (value.size() > kMaxEnvelopeBytes) {
        return poison(fmt::format("oversized envelope: {} bytes (limit {})", value.size(),
                                  kMaxEnvelopeBytes));
    }
    if (trim_right(value).empty()) return poison("empty message");
    buffer_.assign(value);
    buffer_.append(simdjson::SIMDJSON_PADDING, '\0');
    // The on-demand reader below skips what it does not need without checking it: read the
    // whole text strictly first, so an envelope with broken JSON anywhere is poison.
    simdjson::dom::element root;
    if (const auto error = validator_.parse(buffer_.data(), value.size(), false).get(root)) {
        if (error != simdjson::NUMBER_ERROR) return not_json(error);
        // simdjson refuses integers beyond 64 bits, which an id may be.
        if (const auto scan = wire::scan_json(value, {}); !scan.ok) {
            return poison(fmt::format("not JSON: {}", scan.error));
        }
    }

    od::document doc;
    if (const auto error = parser_.iterate(buffer_.data(), value.size(), buffer_.size()).get(doc)) {
        return not_json(error);
    }
    od::object object;
    if (const auto error = doc.get_object().get(object)) {
        if (error == simdjson::INCORRECT_TYPE) return poison("not a JSON object");
        return not_json(error);
    }
    ParsedEnvelope out;
    bool have_payload = false;
    for (auto field_result : object) {
        od::field field;
        std::string_view key;
        if (const auto error = std::move(field_result).get(field)) return not_json(error);
        if (const auto error = field.unescaped_key().get(key)) return not_json(error);
        od::value member = field.value();
        if (auto refused = read_member(key, member, buffer_.data(), out, have_payload)) {
            return std::move(*refused);
        }
    }
    // Past the object's end, a location in bounds means more tokens follow.
    const char* trailing = nullptr;
    if (!doc.current_location().get(trailing)) {
        return poison("not JSON: trailing content after the object");
    }
    if (!have_payload) return poison("no \"payload\" member");
    if (auto reason = read_id(payload_parser_, buffer_.data() + out.payload_pos, out.payload_len,
                              buffer_.size() - out.payload_pos, out.id)) {
        return poison(std::move(*reason));
    }
    out.ok = true;
    return out;
}

}  // namespace kt::workers
