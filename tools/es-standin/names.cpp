#include "tools/es-standin/names.hpp"

#include <fmt/format.h>

#include <charconv>
#include <ctime>

namespace kt::tools::standin {

std::optional<std::string> invalid_index_name_reason(std::string_view name) {
    if (name.empty()) return "must not be empty";
    for (const char c : name) {
        if (c >= 'A' && c <= 'Z') return "must be lowercase";
    }
    for (const char c : std::string_view("\\/*?\"<>| ,#:")) {
        if (name.find(c) != std::string_view::npos) {
            if (c == '#') return "must not contain '#'";
            if (c == ':') return "must not contain ':'";
            return "must not contain the following characters [ , \", *, \\, <, |, ,, >, /, ?]";
        }
    }
    if (name.front() == '_' || name.front() == '-' || name.front() == '+') {
        return "must not start with '_', '-', or '+'";
    }
    if (name == "." || name == "..") return "must not be '.' or '..'";
    if (name.size() > 255) return fmt::format("index name is too long, ({} > 255)", name.size());
    return std::nullopt;
}

void check_index_name(const std::string& name) {
    if (auto reason = invalid_index_name_reason(name)) {
        Json extra = Json::object();
        extra["index_uuid"] = "_na_";
        extra["index"] = name;
        throw ApiError(400, "invalid_index_name_exception",
                       "Invalid index name [" + name + "], " + *reason, extra);
    }
}

bool wildcard_match(std::string_view pattern, std::string_view text) {
    size_t p = 0;
    size_t t = 0;
    size_t star = std::string_view::npos;
    size_t mark = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            mark = t;
        } else if (p < pattern.size() && pattern[p] == text[t]) {
            ++p;
            ++t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++mark;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

bool has_wildcard(std::string_view expression) {
    return expression.find('*') != std::string_view::npos;
}

std::vector<std::string> split_csv(std::string_view text) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find(',', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view part = text.substr(start, end - start);
        while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
        while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
        if (!part.empty()) out.emplace_back(part);
        start = end + 1;
    }
    return out;
}

namespace {

std::string format_date(std::string_view format, const std::tm& tm) {
    std::string out;
    size_t i = 0;
    while (i < format.size()) {
        size_t run = 1;
        while (i + run < format.size() && format[i + run] == format[i]) ++run;
        const char c = format[i];
        if (c == 'y') {
            out += fmt::format("{:04}", tm.tm_year + 1900);
        } else if (c == 'M') {
            out += fmt::format("{:02}", tm.tm_mon + 1);
        } else if (c == 'd') {
            out += fmt::format("{:02}", tm.tm_mday);
        } else if (c == 'H') {
            out += fmt::format("{:02}", tm.tm_hour);
        } else if (c == 'm') {
            out += fmt::format("{:02}", tm.tm_min);
        } else if (c == 's') {
            out += fmt::format("{:02}", tm.tm_sec);
        } else {
            out.append(run, c);
        }
        i += run;
    }
    return out;
}

std::string resolve_expression(std::string_view body, std::chrono::system_clock::time_point now) {
    // body is `anchor[||ops][{format}]` or `now[/unit][{format}]`
    std::string format = "yyyy.MM.dd";
    if (const size_t brace = body.find('{'); brace != std::string_view::npos) {
        const size_t close = body.find('}', brace);
        format = std::string(body.substr(brace + 1, close - brace - 1));
        body = body.substr(0, brace);
    }
    std::tm tm{};
    if (body.substr(0, 3) == "now") {
        const std::time_t t = std::chrono::system_clock::to_time_t(now);
        gmtime_r(&t, &tm);
    } else {
        const std::string_view anchor = body.substr(0, body.find("||"));
        int year = 0;
        int month = 0;
        int day = 0;
        if (std::sscanf(std::string(anchor).c_str(), "%d-%d-%d", &year, &month, &day) != 3) {
            throw ApiError(400, "elasticsearch_parse_exception",
                           "failed to parse date field [" + std::string(anchor) + "]");
        }
        tm.tm_year = year - 1900;
        tm.tm_mon = month - 1;
        tm.tm_mday = day;
    }
    return format_date(format, tm);
}

}  // namespace

std::string resolve_date_math(std::string_view expression,
                              std::chrono::system_clock::time_point now) {
    if (expression.size() < 2 || expression.front() != '<' || expression.back() != '>') {
        return std::string(expression);
    }
    std::string_view inner = expression.substr(1, expression.size() - 2);
    std::string out;
    size_t i = 0;
    while (i < inner.size()) {
        if (inner[i] == '{') {
            int depth = 0;
            size_t j = i;
            for (; j < inner.size(); ++j) {
                if (inner[j] == '{') ++depth;
                if (inner[j] == '}' && --depth == 0) break;
            }
            out += resolve_expression(inner.substr(i + 1, j - i - 1), now);
            i = j + 1;
        } else {
            out += inner[i++];
        }
    }
    return out;
}

std::chrono::milliseconds parse_time_value(std::string_view text, std::string_view setting) {
    if (text == "-1") return std::chrono::milliseconds(-1);
    if (text == "0") return std::chrono::milliseconds(0);
    int64_t number = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    const std::string_view unit(ptr, static_cast<size_t>(text.data() + text.size() - ptr));
    int64_t factor = -1;
    if (unit == "ms") factor = 1;
    if (unit == "s") factor = 1000;
    if (unit == "m") factor = 60'000;
    if (unit == "h") factor = 3'600'000;
    if (unit == "d") factor = 86'400'000;
    if (ec != std::errc() || factor < 0 || ptr == text.data()) {
        throw ApiError(400, "illegal_argument_exception",
                       fmt::format("failed to parse setting [{}] with value [{}] as a time value: "
                                   "unit is missing or unrecognized",
                                   setting, text));
    }
    return std::chrono::milliseconds(number * factor);
}

bool parse_bool_param(std::string_view text, std::string_view name) {
    if (text == "true" || text.empty()) return true;
    if (text == "false") return false;
    throw illegal_argument(
        fmt::format("Failed to parse value [{}] only [true] or [false] are allowed.", text, name));
}

}  // namespace kt::tools::standin
