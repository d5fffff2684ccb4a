#include "lib/pg/detail/conninfo.hpp"

#include <fmt/format.h>

#include <cctype>
#include <optional>
#include <vector>

namespace kt::pg::detail {

namespace {

constexpr std::string_view kMask = "***";

struct Span {
    std::size_t begin;
    std::size_t end;
};

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size()) {
            const int hi = hex_value(text[i + 1]);
            const int lo = hex_value(text[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out.push_back(static_cast<char>(hi * 16 + lo));
                i += 2;
                continue;
            }
        }
        out.push_back(text[i]);
    }
    return out;
}

std::string percent_encode(std::string_view text) {
    std::string out;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(c);
        } else {
            out += fmt::format("%{:02X}", static_cast<unsigned>(u));
        }
    }
    return out;
}

/// One parameter of a URL's query string.
struct QueryParam {
    std::string name;  ///< percent-decoded: what stands before its '=', or all of it
    bool has_value;    ///< it has an '='
    Span value;        ///< the raw value after the '='
};

/// The query parameters of `url`, whose query starts at the first '?' at or after `from`.
std::vector<QueryParam> url_query_params(std::string_view url, std::size_t from) {
    std::vector<QueryParam> params;
    const std::size_t query = url.find('?', from);
    if (query == std::string_view::npos) return params;
    std::size_t begin = query + 1;
    while (begin < url.size()) {
        std::size_t end = url.find('&', begin);
        if (end == std::string_view::npos) end = url.size();
        const std::string_view item = url.substr(begin, end - begin);
        const std::size_t eq = item.find('=');
        params.push_back({percent_decode(item.substr(0, eq)), eq != std::string_view::npos,
                          {eq == std::string_view::npos ? end : begin + eq + 1, end}});
        begin = end + 1;
    }
    return params;
}

/// Password spans of a URL: the userinfo's `:secret` part and every `password=` query value.
std::vector<Span> url_password_spans(std::string_view url) {
    std::vector<Span> spans;
    const std::size_t scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return spans;
    const std::size_t start = scheme_end + 3;
    // Like libpq: the userinfo ends at the first '@' met before any '/'.
    std::size_t pos = start;
    while (pos < url.size() && url[pos] != '@' && url[pos] != '/') ++pos;
    if (pos < url.size() && url[pos] == '@') {
        const std::size_t colon = url.find(':', start);
        if (colon != std::string_view::npos && colon < pos) spans.push_back({colon + 1, pos});
    }
    for (const QueryParam& param : url_query_params(url, start)) {
        if (param.has_value && param.name == "password") spans.push_back(param.value);
    }
    return spans;
}

struct KeywordValue {
    std::string key;
    std::string value;  ///< unquoted
    Span value_span;    ///< the raw value in the string, quotes included
};

/// Parses `key = value` pairs the way libpq does; stops quietly at a malformed tail.
std::vector<KeywordValue> parse_keywords(std::string_view text) {
    std::vector<KeywordValue> pairs;
    std::size_t i = 0;
    const auto skip_space = [&] {
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])) != 0) ++i;
    };
    while (true) {
        skip_space();
        if (i >= text.size()) break;
        const std::size_t key_begin = i;
        while (i < text.size() && text[i] != '=' &&
               std::isspace(static_cast<unsigned char>(text[i])) == 0) {
            ++i;
        }
        KeywordValue kv;
        kv.key = std::string(text.substr(key_begin, i - key_begin));
        skip_space();
        if (i >= text.size() || text[i] != '=') break;
        ++i;
        skip_space();
        const std::size_t value_begin = i;
        if (i < text.size() && text[i] == '\'') {
            ++i;
            while (i < text.size() && text[i] != '\'') {
                if (text[i] == '\\' && i + 1 < text.size()) ++i;
                kv.value.push_back(text[i]);
                ++i;
            }
            if (i < text.size()) ++i;  // closing quote
        } else {
            while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])) == 0) {
                if (text[i] == '\\' && i + 1 < text.size()) ++i;
                kv.value.push_back(text[i]);
                ++i;
            }
        }
        kv.value_span = {value_begin, i};
        pairs.push_back(std::move(kv));
    }
    return pairs;
}

std::string mask_spans(std::string_view text, const std::vector<Span>& spans) {
    std::string out;
    std::size_t done = 0;
    for (const Span& span : spans) {
        out.append(text.substr(done, span.begin - done));
        out.append(kMask);
        done = span.end;
    }
    out.append(text.substr(done));
    return out;
}

bool has_key(std::string_view conninfo, std::string_view key) {
    if (is_url(conninfo)) {
        for (const QueryParam& param : url_query_params(conninfo, 0)) {
            if (param.name == key) return true;
        }
        return false;
    }
    for (const KeywordValue& kv : parse_keywords(conninfo)) {
        if (kv.key == key) return true;
    }
    return false;
}

std::string quote_keyword_value(std::string_view value) {
    std::string out = "'";
    for (const char c : value) {
        if (c == '\'' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('\'');
    return out;
}

}  // namespace

bool is_url(std::string_view conninfo) noexcept {
    return conninfo.starts_with("postgresql://") || conninfo.starts_with("postgres://");
}

std::string redact_url(std::string_view conninfo) {
    if (is_url(conninfo)) return mask_spans(conninfo, url_password_spans(conninfo));
    std::vector<Span> spans;
    for (const KeywordValue& kv : parse_keywords(conninfo)) {
        if (kv.key == "password") spans.push_back(kv.value_span);
    }
    return mask_spans(conninfo, spans);
}

std::string password_of(std::string_view conninfo) {
    std::string password;
    if (is_url(conninfo)) {
        for (const Span& span : url_password_spans(conninfo)) {
            password = percent_decode(conninfo.substr(span.begin, span.end - span.begin));
        }
        return password;
    }
    for (const KeywordValue& kv : parse_keywords(conninfo)) {
        if (kv.key == "password") password = kv.value;
    }
    return password;
}

std::string scrub_password(std::string message, std::string_view conninfo) {
    std::vector<std::string> secrets;
    if (is_url(conninfo)) {
        for (const Span& span : url_password_spans(conninfo)) {
            const std::string_view raw = conninfo.substr(span.begin, span.end - span.begin);
            secrets.emplace_back(raw);
            secrets.push_back(percent_decode(raw));
        }
    } else {
        for (const KeywordValue& kv : parse_keywords(conninfo)) {
            if (kv.key == "password") secrets.push_back(kv.value);
        }
    }
    for (const std::string& secret : secrets) {
        if (secret.empty()) continue;
        std::size_t pos = 0;
        while ((pos = message.find(secret, pos)) != std::string::npos) {
            message.replace(pos, secret.size(), kMask);
            pos += kMask.size();
        }
    }
    return message;
}

std::string with_session_options(std::string_view conninfo, std::string_view application_name,
                                 std::chrono::seconds connect_timeout) {
    std::string out(conninfo);
    const bool add_timeout = connect_timeout.count() > 0 && !has_key(conninfo, "connect_timeout");
    if (is_url(conninfo)) {
        char separator = conninfo.find('?') == std::string_view::npos ? '?' : '&';
        if (!out.empty() && (out.back() == '?' || out.back() == '&')) separator = '\0';
        const auto append = [&](std::string_view key, std::string_view value) {
            if (separator != '\0') out.push_back(separator);
            out += fmt::format("{}={}", key, percent_encode(value));
            separator = '&';
        };
        if (!application_name.empty()) append("fallback_application_name", application_name);
        if (add_timeout) append("connect_timeout", std::to_string(connect_timeout.count()));
        return out;
    }
    if (!application_name.empty()) {
        out += fmt::format(" fallback_application_name={}", quote_keyword_value(application_name));
    }
    if (add_timeout) out += fmt::format(" connect_timeout={}", connect_timeout.count());
    return out;
}

std::string with_logical_replication(std::string_view conninfo) {
    std::string out(conninfo);
    if (!is_url(conninfo)) return out + " replication=database";
    if (!out.empty() && out.back() != '?' && out.back() != '&') {
        out.push_back(conninfo.find('?') == std::string_view::npos ? '?' : '&');
    }
    return out + "replication=database";
}

}  // namespace kt::pg::detail
