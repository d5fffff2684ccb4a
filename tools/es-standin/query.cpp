#include "tools/es-standin/query.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "tools/es-standin/names.hpp"

namespace kt::tools::standin {

namespace {

std::vector<std::string> tokens(std::string_view text) {
    std::vector<std::string> out;
    std::string current;
    for (const char c : text) {
        if (std::isalnum(static_cast<unsigned char>(c)) || (c & 0x80)) {
            current += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        } else if (!current.empty()) {
            out.push_back(std::move(current));
            current.clear();
        }
    }
    if (!current.empty()) out.push_back(std::move(current));
    return out;
}

std::string as_text(const Json& value) {
    return value.is_string() ? value.get<std::string>() : value.dump();
}

std::optional<double> as_number(const Json& value) {
    if (value.is_number()) return value.get<double>();
    if (value.is_string()) {
        const std::string text = value.get<std::string>();
        double out = 0;
        const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
        if (ec == std::errc() && ptr == text.data() + text.size()) return out;
    }
    return std::nullopt;
}

bool equals_value(const Json& actual, const Json& expected) {
    if (actual.is_array()) {
        return std::any_of(actual.begin(), actual.end(),
                           [&](const Json& item) { return equals_value(item, expected); });
    }
    if (actual.is_number() || expected.is_number()) {
        auto a = as_number(actual);
        auto b = as_number(expected);
        return a && b && *a == *b;
    }
    if (actual.is_boolean()) return as_text(actual) == as_text(expected);
    if (!actual.is_string()) return false;
    const std::string a = actual.get<std::string>();
    const std::string b = as_text(expected);
    if (a == b) return true;
    const auto words = tokens(a);
    return std::find(words.begin(), words.end(), b) != words.end();
}

bool match_text(const Json& actual, const Json& query_value) {
    if (actual.is_array()) {
        return std::any_of(actual.begin(), actual.end(),
                           [&](const Json& item) { return match_text(item, query_value); });
    }
    if (actual.is_number() || actual.is_boolean()) return equals_value(actual, query_value);
    if (!actual.is_string()) return false;
    const auto have = tokens(actual.get<std::string>());
    for (const auto& word : tokens(as_text(query_value))) {
        if (std::find(have.begin(), have.end(), word) != have.end()) return true;
    }
    return false;
}

int compare_values(const Json& a, const Json& b) {
    auto x = as_number(a);
    auto y = as_number(b);
    if (x && y) return *x < *y ? -1 : (*x > *y ? 1 : 0);
    const std::string s = as_text(a);
    const std::string t = as_text(b);
    return s < t ? -1 : (s > t ? 1 : 0);
}

Json meta_source(const Json& source, const std::string& id, const std::string& index,
                 const std::string& field, bool& special) {
    special = true;
    if (field == "_id") return id;
    if (field == "_index") return index;
    special = false;
    const Json* value = field_value(source, field);
    return value ? *value : Json();
}

std::pair<std::string, Json> single_field(const Json& spec, const char* type) {
    if (!spec.is_object() || spec.empty()) {
        throw parsing_error(fmt::format("[{}] query malformed, no field specified", type));
    }
    const auto spec_first = spec.begin();
    const std::string& field = spec_first.key();
    const auto& value = spec_first.value();
    return {field, value};
}

}  // namespace

const Json* field_value(const Json& source, std::string_view path) {
    if (!source.is_object()) return nullptr;
    const std::string key(path);
    if (auto it = source.find(key); it != source.end()) return &*it;
    const size_t dot = path.find('.');
    if (dot != std::string_view::npos) {
        if (auto it = source.find(std::string(path.substr(0, dot))); it != source.end()) {
            if (const Json* inner = field_value(*it, path.substr(dot + 1))) return inner;
        }
    }
    constexpr std::string_view kKeyword = ".keyword";
    if (path.size() > kKeyword.size() && path.substr(path.size() - kKeyword.size()) == kKeyword) {
        return field_value(source, path.substr(0, path.size() - kKeyword.size()));
    }
    return nullptr;
}

void validate_query(const Json& query) {
    if (query.is_null()) return;
    if (!query.is_object() || query.size() != 1) {
        throw parsing_error("[_na] query malformed, must start with start_object");
    }
    const auto query_first = query.begin();
    const std::string& type = query_first.key();
    const auto& spec = query_first.value();
    static const std::vector<std::string> kLeaf = {"match_all", "match_none",  "ids",   "term",
                                                   "terms",     "match",       "range", "exists",
                                                   "prefix",    "match_phrase"};
    if (type == "bool") {
        for (const auto& [clause, body] : spec.items()) {
            if (body.is_array()) {
                for (const auto& q : body) validate_query(q);
            } else if (body.is_object()) {
                validate_query(body);
            }
        }
        return;
    }
    if (std::find(kLeaf.begin(), kLeaf.end(), type) == kLeaf.end()) {
        Json extra = Json::object();
        extra["line"] = 1;
        extra["col"] = 1;
        throw ApiError(400, "parsing_exception", "unknown query [" + type + "]", extra);
    }
}

bool query_matches(const Json& query, const Json& source, const std::string& id,
                   const std::string& index) {
    if (query.is_null() || query.empty()) return true;
    const auto query_first = query.begin();
    const std::string& type = query_first.key();
    const auto& spec = query_first.value();
    bool special = false;
    if (type == "match_all") return true;
    if (type == "match_none") return false;
    if (type == "ids") {
        const Json& values = spec.contains("values") ? spec["values"] : Json::array();
        return std::any_of(values.begin(), values.end(),
                           [&](const Json& v) { return as_text(v) == id; });
    }
    if (type == "term" || type == "match" || type == "match_phrase" || type == "prefix") {
        auto [field, value] = single_field(spec, type.c_str());
        if (value.is_object()) {
            value = value.contains("value") ? value["value"] : value.value("query", Json());
        }
        const Json actual = meta_source(source, id, index, field, special);
        if (actual.is_null()) return false;
        if (special) return as_text(actual) == as_text(value);
        if (type == "prefix") return as_text(actual).rfind(as_text(value), 0) == 0;
        if (type == "term") return equals_value(actual, value);
        return match_text(actual, value);
    }
    if (type == "terms") {
        for (const auto& [field, values] : spec.items()) {
            if (!values.is_array()) continue;
            const Json actual = meta_source(source, id, index, field, special);
            for (const auto& v : values) {
                if (special ? as_text(actual) == as_text(v) : equals_value(actual, v)) return true;
            }
            return false;
        }
        return false;
    }
    if (type == "exists") {
        const std::string field = spec.value("field", "");
        const Json actual = meta_source(source, id, index, field, special);
        return !actual.is_null() && !(actual.is_array() && actual.empty());
    }
    if (type == "range") {
        auto [field, bounds] = single_field(spec, "range");
        const Json actual = meta_source(source, id, index, field, special);
        if (actual.is_null()) return false;
        for (const auto& [op, bound] : bounds.items()) {
            const int c = compare_values(actual, bound);
            if ((op == "gt" && c <= 0) || (op == "gte" && c < 0) || (op == "lt" && c >= 0) ||
                (op == "lte" && c > 0)) {
                return false;
            }
        }
        return true;
    }
    if (type == "bool") {
        auto clauses = [&](const char* name) {
            std::vector<Json> out;
            if (!spec.contains(name)) return out;
            const Json& body = spec[name];
            if (body.is_array()) {
                out.assign(body.begin(), body.end());
            } else {
                out.push_back(body);
            }
            return out;
        };
        for (const char* name : {"must", "filter"}) {
            for (const auto& q : clauses(name)) {
                if (!query_matches(q, source, id, index)) return false;
            }
        }
        for (const auto& q : clauses("must_not")) {
            if (query_matches(q, source, id, index)) return false;
        }
        const auto should = clauses("should");
        if (should.empty()) return true;
        const bool required = spec.contains("minimum_should_match") ||
                              (clauses("must").empty() && clauses("filter").empty());
        if (!required) return true;
        return std::any_of(should.begin(), should.end(),
                           [&](const Json& q) { return query_matches(q, source, id, index); });
    }
    return false;
}

namespace {

bool path_selected(const std::vector<std::string>& patterns, const std::string& path) {
    for (const auto& pattern : patterns) {
        if (wildcard_match(pattern, path)) return true;
        // A pattern naming an object selects everything below it.
        size_t dot = path.find('.');
        while (dot != std::string::npos) {
            if (wildcard_match(pattern, path.substr(0, dot))) return true;
            dot = path.find('.', dot + 1);
        }
    }
    return false;
}

bool may_contain(const std::vector<std::string>& patterns, const std::string& prefix) {
    for (const auto& pattern : patterns) {
        if (pattern.rfind(prefix + ".", 0) == 0 || pattern.front() == '*' ||
            wildcard_match(pattern, prefix)) {
            return true;
        }
    }
    return false;
}

Json filter_node(const Json& node, const std::string& prefix, const SourceFilter& filter) {
    Json out = Json::object();
    for (const auto& [key, value] : node.items()) {
        const std::string path = prefix.empty() ? key : prefix + "." + key;
        if (!filter.excludes.empty() && path_selected(filter.excludes, path)) continue;
        const bool included = filter.includes.empty() || path_selected(filter.includes, path);
        if (value.is_object() && (!included || !filter.excludes.empty())) {
            if (!included && !may_contain(filter.includes, path)) continue;
            SourceFilter inner = filter;
            if (included) inner.includes.clear();
            Json child = filter_node(value, path, inner);
            if (!child.empty() || included) out[key] = std::move(child);
            continue;
        }
        if (included) out[key] = value;
    }
    return out;
}

std::vector<std::string> names_of(const Json& value) {
    std::vector<std::string> out;
    if (value.is_string()) return split_csv(value.get<std::string>());
    if (value.is_array()) {
        for (const auto& v : value) {
            if (v.is_string()) out.push_back(v.get<std::string>());
        }
    }
    return out;
}

}  // namespace

Json SourceFilter::apply(const Json& source) const {
    if (identity()) return source;
    return filter_node(source, "", *this);
}

SourceFilter SourceFilter::from_json(const Json& value) {
    SourceFilter out;
    if (value.is_boolean()) {
        out.enabled = value.get<bool>();
    } else if (value.is_string() || value.is_array()) {
        out.includes = names_of(value);
    } else if (value.is_object()) {
        for (const char* key : {"includes", "include"}) {
            if (value.contains(key)) out.includes = names_of(value[key]);
        }
        for (const char* key : {"excludes", "exclude"}) {
            if (value.contains(key)) out.excludes = names_of(value[key]);
        }
    }
    return out;
}

SourceFilter SourceFilter::from_params(const std::optional<std::string>& source,
                                       const std::optional<std::string>& includes,
                                       const std::optional<std::string>& excludes) {
    SourceFilter out;
    if (source) {
        if (*source == "true" || *source == "false") {
            out.enabled = *source == "true";
        } else {
            out.includes = split_csv(*source);
        }
    }
    if (includes) out.includes = split_csv(*includes);
    if (excludes) out.excludes = split_csv(*excludes);
    return out;
}

std::optional<int64_t> parse_date_nanos(std::string_view text, std::string_view format) {
    if (format.empty() || format.find("strict_date_optional_time") != std::string_view::npos ||
        format == "date_optional_time" || format.find("epoch_millis") != std::string_view::npos) {
        int64_t millis = 0;
        const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), millis);
        if (ec == std::errc() && ptr == text.data() + text.size() &&
            format.find("epoch_millis") != std::string_view::npos) {
            return millis * 1'000'000;
        }
        if (format == "epoch_millis") return std::nullopt;
        std::string pattern = "yyyy-MM-dd'T'HH:mm:ss.SSS";
        const size_t fraction = text.find('.') == std::string_view::npos
                                    ? 0
                                    : text.size() - text.find('.') - 1 - (text.back() == 'Z');
        std::string_view body = text;
        if (!body.empty() && body.back() == 'Z') body.remove_suffix(1);
        if (body.size() == 10) return parse_date_nanos(body, "yyyy-MM-dd");
        if (body.size() == 19) return parse_date_nanos(body, "yyyy-MM-dd'T'HH:mm:ss");
        pattern = "yyyy-MM-dd'T'HH:mm:ss." + std::string(fraction, 'S');
        return parse_date_nanos(body, pattern);
    }
    int64_t year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, nanos = 0;
    size_t t = 0;
    size_t f = 0;
    while (f < format.size()) {
        if (format[f] == '\'') {
            const size_t end = format.find('\'', f + 1);
            const std::string_view literal = format.substr(f + 1, end - f - 1);
            if (text.substr(t, literal.size()) != literal) return std::nullopt;
            t += literal.size();
            f = end + 1;
            continue;
        }
        size_t run = 1;
        while (f + run < format.size() && format[f + run] == format[f]) ++run;
        const char c = format[f];
        if (std::isalpha(static_cast<unsigned char>(c))) {
            const size_t width = c == 'y' ? 4 : (c == 'S' ? run : 2);
            int64_t value = 0;
            if (t + width > text.size()) return std::nullopt;
            const auto [ptr, ec] = std::from_chars(text.data() + t, text.data() + t + width, value);
            if (ec != std::errc() || ptr != text.data() + t + width) return std::nullopt;
            switch (c) {
                case 'y':
                    year = value;
                    break;
                case 'M':
                    month = value;
                    break;
                case 'd':
                    day = value;
                    break;
                case 'H':
                    hour = value;
                    break;
                case 'm':
                    minute = value;
                    break;
                case 's':
                    second = value;
                    break;
                case 'S': {
                    nanos = value;
                    for (size_t i = width; i < 9; ++i) nanos *= 10;
                    break;
                }
                default:
                    return std::nullopt;
            }
            t += width;
        } else {
            if (text.substr(t, run) != format.substr(f, run)) return std::nullopt;
            t += run;
        }
        f += run;
    }
    if (t != text.size()) return std::nullopt;
    // Days from civil (Howard Hinnant's algorithm).
    const int64_t y = year - (month <= 2 ? 1 : 0);
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    const int64_t days = era * 146097 + doe - 719468;
    const int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second;
    return seconds * 1'000'000'000 + nanos;
}

}  // namespace kt::tools::standin
