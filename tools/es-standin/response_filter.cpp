#include "tools/es-standin/response_filter.hpp"

#include <fmt/format.h>

namespace kt::tools::standin {

namespace {

/// Elasticsearch's simple match: `*` stands for any run of characters.
bool glob_match(std::string_view pattern, std::string_view text) {
    const std::size_t star = pattern.find('*');
    if (star == std::string_view::npos) return pattern == text;
    if (text.substr(0, star) != pattern.substr(0, star)) return false;
    const std::string_view rest = pattern.substr(star + 1);
    for (std::size_t i = star; i <= text.size(); ++i) {
        if (glob_match(rest, text.substr(i))) return true;
    }
    return false;
}

std::vector<std::string> split(std::string_view text, char separator) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true) {
        const std::size_t end = text.find(separator, start);
        out.emplace_back(text.substr(start, end - start));
        if (end == std::string_view::npos) return out;
        start = end + 1;
    }
}

/// Matches field `name` against `parts` from `part` on, adding the parts reached next to `out`;
/// true when the name completes the pattern.
bool advance(const std::vector<std::string>& parts, std::size_t part, std::string_view name,
             std::vector<std::size_t>& out) {
    if (part >= parts.size()) return false;
    bool done = false;
    if (parts[part] == "**") {
        // `**` matches no level (try the next part on this name) or this level (stay).
        done = advance(parts, part + 1, name, out);
        out.push_back(part);
        return done || part + 1 == parts.size();
    }
    if (glob_match(parts[part], name)) {
        if (part + 1 == parts.size()) return true;
        out.push_back(part + 1);
    }
    return done;
}

void append_key(std::string& out, std::string_view key) {
    out += '"';
    for (const char c : key) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            out += fmt::format("\\u{:04x}", u);
        } else {
            out += c;
        }
    }
    out += "\":";
}

}  // namespace

ResponseFilter::ResponseFilter(std::string_view spec) {
    for (const std::string& path : split(spec, ',')) {
        if (path.empty()) continue;
        const bool exclude = path.front() == '-';
        Pattern pattern{split(exclude ? std::string_view(path).substr(1) : path, '.')};
        (exclude ? excludes_ : includes_).push_back(std::move(pattern));
    }
}

std::optional<ResponseFilter> ResponseFilter::from_params(const Params& params) {
    const auto spec = param(params, "filter_path");
    if (!spec) return std::nullopt;
    return ResponseFilter(*spec);
}

ResponseFilter::Step ResponseFilter::step(const std::vector<State>& include,
                                          const std::vector<State>& exclude,
                                          std::string_view name) const {
    Step out;
    std::vector<std::size_t> parts;
    // Moves each state of `patterns` past `name`; true when one of them matched to its end.
    const auto advance_all = [&](const std::vector<Pattern>& patterns,
                                 const std::vector<State>& states, std::vector<State>& next) {
        bool matched = false;
        for (const State& s : states) {
            parts.clear();
            if (advance(patterns[s.pattern].parts, s.part, name, parts)) matched = true;
            for (const std::size_t p : parts) next.push_back({s.pattern, p});
        }
        return matched;
    };
    out.included = advance_all(includes_, include, out.include);
    out.excluded = advance_all(excludes_, exclude, out.exclude);
    return out;
}

bool ResponseFilter::filter(const simdjson::dom::element& value, const std::vector<State>& include,
                            const std::vector<State>& exclude, bool included,
                            std::string& out) const {
    if (included && exclude.empty()) {
        out += simdjson::minify(value);
        return true;
    }
    const std::size_t start = out.size();
    bool any = false;
    // Appends one member (its key first, when given) or element, and takes it back when nothing
    // of it is kept.
    const auto append = [&](const std::string_view* key, const simdjson::dom::element& item,
                            const std::vector<State>& item_include,
                            const std::vector<State>& item_exclude, bool item_included) {
        const std::size_t before = out.size();
        if (any) out += ',';
        if (key != nullptr) append_key(out, *key);
        if (filter(item, item_include, item_exclude, item_included, out)) {
            any = true;
        } else {
            out.resize(before);
        }
    };
    if (value.is_object()) {
        out += '{';
        const simdjson::dom::object object = value.get_object().value_unsafe();
        for (const auto field : object) {
            Step s = step(included ? std::vector<State>{} : include, exclude, field.key);
            if (s.excluded) continue;
            append(&field.key, field.value, s.include, s.exclude, included || s.included);
        }
        out += '}';
    } else if (value.is_array()) {
        out += '[';
        const simdjson::dom::array array = value.get_array().value_unsafe();
        for (const auto element : array) append(nullptr, element, include, exclude, included);
        out += ']';
    } else {
        if (!included) return false;
        out += simdjson::minify(value);
        return true;
    }
    if (!any && !included) {
        out.resize(start);
        return false;
    }
    return true;
}

ResponseFilter::Cursor ResponseFilter::root() const {
    Cursor out;
    for (std::size_t i = 0; i < includes_.size(); ++i) out.include.push_back({i, 0});
    for (std::size_t i = 0; i < excludes_.size(); ++i) out.exclude.push_back({i, 0});
    out.included = includes_.empty();
    return out;
}

ResponseFilter::Cursor ResponseFilter::child(const Cursor& at, std::string_view name) const {
    Step s = step(at.included ? std::vector<State>{} : at.include, at.exclude, name);
    return Cursor{std::move(s.include), std::move(s.exclude), at.included || s.included,
                  at.excluded || s.excluded};
}

ResponseFilter::Keep ResponseFilter::keep(const Cursor& at) {
    if (at.excluded) return Keep::kNothing;
    if (at.included && at.exclude.empty()) return Keep::kWhole;
    if (!at.included && at.include.empty()) return Keep::kNothing;
    return Keep::kSome;
}

bool ResponseFilter::write(const Cursor& at, std::string_view json, std::string& out) const {
    if (keep(at) == Keep::kNothing) return false;
    simdjson::dom::parser parser;
    simdjson::dom::element value;
    if (parser.parse(json.data(), json.size()).get(value) != simdjson::SUCCESS) return false;
    return filter(value, at.include, at.exclude, at.included, out);
}

std::string ResponseFilter::apply(std::string_view json) const {
    simdjson::dom::parser parser;
    simdjson::dom::element value;
    if (parser.parse(json.data(), json.size()).get(value) != simdjson::SUCCESS) {
        return std::string(json);
    }
    const Cursor top = root();
    std::string out;
    out.reserve(json.size() / 4);
    if (!filter(value, top.include, top.exclude, top.included, out)) return "{}";
    return out;
}

}  // namespace kt::tools::standin
