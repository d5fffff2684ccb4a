#include "lib/es/options.hpp"

#include <utility>

namespace kt::es {

namespace {

void replace_all(std::string& text, std::string_view secret) {
    if (secret.empty()) return;
    constexpr std::string_view kMask = "***";
    for (std::size_t pos = text.find(secret); pos != std::string::npos;
         pos = text.find(secret, pos + kMask.size())) {
        text.replace(pos, secret.size(), kMask);
    }
}

// Characters that end the authority part of a URL; userinfo never contains them.
bool ends_authority(char c) {
    return c == '/' || c == '?' || c == '#' || c == ' ' || c == '"' || c == '\'' || c == '\n' ||
           c == '\t' || c == '<' || c == '>';
}

}  // namespace

std::string redact_url_userinfo(std::string text) {
    constexpr std::string_view kSchemeEnd = "://";
    std::size_t pos = 0;
    while ((pos = text.find(kSchemeEnd, pos)) != std::string::npos) {
        const std::size_t start = pos + kSchemeEnd.size();
        std::size_t end = start;
        std::size_t at = std::string::npos;
        while (end < text.size() && !ends_authority(text[end])) {
            if (text[end] == '@') at = end;  // the last '@' ends the userinfo
            ++end;
        }
        if (at != std::string::npos) {
            text.replace(start, at - start, "***");
            pos = start + 4;
        } else {
            pos = start;
        }
    }
    return text;
}

std::string redact(std::string text, const Options& options) {
    text = redact_url_userinfo(std::move(text));
    if (options.password) replace_all(text, *options.password);
    if (options.api_key) replace_all(text, *options.api_key);
    return text;
}

}  // namespace kt::es
