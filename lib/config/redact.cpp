#include "lib/config/redact.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace kt::config {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// Redacts `user:secret@` after every `://`.
std::string redact_userinfo(std::string_view text) {
    std::string out;
    std::size_t i = 0;
    while (true) {
        const std::size_t scheme = text.find("://", i);
        if (scheme == std::string_view::npos) break;
        const std::size_t start = scheme + 3;
        std::size_t end = start;
        while (end < text.size() && text[end] != '/' && text[end] != ' ' && text[end] != '\'' &&
               text[end] != '"' && text[end] != '\n' && text[end] != '?' && text[end] != '#') {
            ++end;
        }
        const std::string_view authority = text.substr(start, end - start);
        const std::size_t at = authority.rfind('@');
        out.append(text.substr(i, start - i));
        if (at != std::string_view::npos) {
            const std::string_view userinfo = authority.substr(0, at);
            const std::size_t colon = userinfo.find(':');
            if (colon != std::string_view::npos) {
                out.append(userinfo.substr(0, colon));
                out.append(":***");
            } else {
                out.append(userinfo);
            }
            out.append(authority.substr(at));
        } else {
            out.append(authority);
        }
        i = end;
    }
    out.append(text.substr(i));
    return out;
}

// Redacts `password=value` (libpq keyword strings and URL query parameters).
std::string redact_password_keywords(const std::string& text) {
    std::string out;
    const std::string low = lower(text);
    std::size_t i = 0;
    while (true) {
        const std::size_t pos = low.find("password=", i);
        if (pos == std::string::npos) break;
        const std::size_t value_start = pos + 9;
        std::size_t value_end = value_start;
        if (value_end < text.size() && text[value_end] == '\'') {
            ++value_end;
            while (value_end < text.size() && text[value_end] != '\'') {
                if (text[value_end] == '\\') ++value_end;
                ++value_end;
            }
            if (value_end < text.size()) ++value_end;
        } else {
            while (value_end < text.size() && text[value_end] != ' ' && text[value_end] != '&' &&
                   text[value_end] != '\n') {
                ++value_end;
            }
        }
        out.append(text, i, value_start - i);
        out.append("***");
        i = value_end;
    }
    out.append(text, i, std::string::npos);
    return out;
}

}  // namespace

std::string redact(std::string_view text) {
    return redact_password_keywords(redact_userinfo(text));
}

bool is_secret_key(std::string_view key) {
    static constexpr std::array<std::string_view, 6> kMarkers = {
        "password", "secret", "api_key", "apikey", "sasl.jaas", "token"};
    const std::string low = lower(key);
    for (auto marker : kMarkers) {
        if (low.find(marker) != std::string::npos) return true;
    }
    return low == "ssl.key.pem" || low.starts_with("sasl.oauthbearer") ||
           low == "ssl.keystore.password";
}

}  // namespace kt::config
