#include "lib/wire/json_scan.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>

namespace kt::wire {

namespace {

using Json = nlohmann::json;

bool is_integer_token(std::string_view token) {
    const std::string_view digits = token.starts_with('-') ? token.substr(1) : token;
    if (digits.empty()) return false;
    for (const char c : digits) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

/// nlohmann's SAX events: tracks the depth and captures the first top-level `member`.
class Scanner {
public:
    Scanner(JsonScan& out, std::string_view member) : out_(out), member_(member) {}

    bool null() { return scalar(MemberKind::kOther, {}); }
    bool boolean(bool /*value*/) { return scalar(MemberKind::kOther, {}); }
    bool number_integer(Json::number_integer_t value) {
        return scalar(MemberKind::kInteger, std::to_string(value));
    }
    bool number_unsigned(Json::number_unsigned_t value) {
        return scalar(MemberKind::kInteger, std::to_string(value));
    }
    bool number_float(Json::number_float_t /*value*/, const Json::string_t& token) {
        // Integers beyond 64 bits arrive here with their token.
        return scalar(is_integer_token(token) ? MemberKind::kInteger : MemberKind::kNumber, token);
    }
    bool string(Json::string_t& value) { return scalar(MemberKind::kString, value); }
    bool binary(Json::binary_t& /*value*/) { return scalar(MemberKind::kOther, {}); }
    bool start_object(std::size_t /*elements*/) {
        if (depth_ == 0) out_.is_object = true;
        return open();
    }
    bool key(Json::string_t& name) {
        capturing_ = depth_ == 1 && !found_ && name == member_;
        return true;
    }
    bool end_object() { return close(); }
    bool start_array(std::size_t /*elements*/) { return open(); }
    bool end_array() { return close(); }
    bool parse_error(std::size_t /*position*/, const std::string& /*token*/,
                     const nlohmann::detail::exception& error) {
        out_.error = error.what();
        return false;
    }

private:
    bool scalar(MemberKind kind, std::string value) {
        if (capturing_) capture(kind, std::move(value));
        return true;
    }
    bool open() {
        if (capturing_) capture(MemberKind::kOther, {});
        if (++depth_ > kMaxJsonDepth) {
            out_.error = "the JSON document is nested too deeply";
            return false;
        }
        return true;
    }
    bool close() {
        --depth_;
        return true;
    }
    void capture(MemberKind kind, std::string value) {
        out_.kind = kind;
        out_.value = std::move(value);
        found_ = true;
        capturing_ = false;
    }

    JsonScan& out_;
    std::string_view member_;
    std::size_t depth_ = 0;
    bool capturing_ = false;
    bool found_ = false;
};

}  // namespace

JsonScan scan_json(std::string_view text, std::string_view member) {
    JsonScan out;
    if (text.starts_with("\xEF\xBB\xBF")) {
        out.error = "starts with a byte order mark";
        return out;
    }
    // nlohmann's reader ends the input at a NUL byte, which is never valid in JSON text (in a
    // string it must be escaped): `{"id":1}\0junk` must not pass as `{"id":1}`.
    if (text.find('\0') != std::string_view::npos) {
        out.error = "contains a NUL byte";
        return out;
    }
    Scanner scanner(out, member);
    try {
        out.ok = Json::sax_parse(text.begin(), text.end(), &scanner, Json::input_format_t::json,
                                 true, false);
    } catch (const std::exception& e) {
        out.ok = false;
        out.error = e.what();
    }
    if (!out.ok) {
        if (out.error.empty()) out.error = "not valid JSON";
        out.is_object = false;
        out.kind = MemberKind::kAbsent;
        out.value.clear();
    }
    return out;
}

}  // namespace kt::wire
