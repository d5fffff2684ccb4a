#include "tools/es-standin/security.hpp"

#include <fmt/format.h>
#include <array>
#include <cctype>

namespace kt::tools::standin {

namespace {

/// Decodes standard base64 (padding optional); nullopt for any other character.
std::optional<std::string> base64_decode(std::string_view text) {
    constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    while (!text.empty() && text.back() == '=') text.remove_suffix(1);
    std::string out;
    std::uint32_t bits = 0;
    int count = 0;
    for (const char c : text) {
        const auto value = kAlphabet.find(c);
        if (value == std::string_view::npos) return std::nullopt;
        bits = (bits << 6U) | static_cast<std::uint32_t>(value);
        count += 6;
        if (count >= 8) {
            count -= 8;
            out.push_back(static_cast<char>((bits >> static_cast<unsigned>(count)) & 0xFFU));
        }
    }
    return out;
}

/// `header` minus the case-insensitive `scheme` and the spaces after it, nullopt when it has
/// another scheme.
std::optional<std::string_view> credentials_of(std::string_view header, std::string_view scheme) {
    if (header.size() <= scheme.size()) return std::nullopt;
    for (std::size_t i = 0; i < scheme.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(header[i])) !=
            std::tolower(static_cast<unsigned char>(scheme[i]))) {
            return std::nullopt;
        }
    }
    if (header[scheme.size()] != ' ') return std::nullopt;
    header.remove_prefix(scheme.size());
    while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
    return header;
}

ApiError security_exception(const AuthOptions& options, std::string reason) {
    Json challenges = Json::array();
    if (options.basic_auth) challenges.push_back(R"(Basic realm="security", charset="UTF-8")");
    if (options.api_key) challenges.push_back("ApiKey");
    Json extra = Json::object();
    extra["header"] = Json{{"WWW-Authenticate", challenges}};
    return {401, "security_exception", std::move(reason), std::move(extra)};
}

}  // namespace

std::string auth_challenge(const AuthOptions& options) {
    std::string out;
    if (options.basic_auth) out = R"(Basic realm="security", charset="UTF-8")";
    if (options.api_key) out += out.empty() ? "ApiKey" : ", ApiKey";
    return out;
}

std::optional<std::pair<std::string, std::string>> parse_basic_auth(std::string_view value) {
    const auto colon = value.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    return std::pair{std::string(value.substr(0, colon)), std::string(value.substr(colon + 1))};
}

std::optional<ApiError> authenticate(const AuthOptions& options, const std::string* authorization,
                                     std::string_view path) {
    if (!options.enabled()) return std::nullopt;
    if (authorization == nullptr || authorization->empty()) {
        return security_exception(
            options, fmt::format("missing authentication credentials for REST request [{}]", path));
    }
    if (options.api_key) {
        if (const auto key = credentials_of(*authorization, "ApiKey")) {
            if (*key == *options.api_key) return std::nullopt;
            return security_exception(options,
                                      "unable to authenticate with provided credentials and "
                                      "anonymous access is not allowed for this request");
        }
    }
    if (options.basic_auth) {
        if (const auto encoded = credentials_of(*authorization, "Basic")) {
            const auto decoded = base64_decode(*encoded);
            const auto given = decoded ? parse_basic_auth(*decoded) : std::nullopt;
            if (given && *decoded == *options.basic_auth) return std::nullopt;
            return security_exception(
                options, fmt::format("unable to authenticate user [{}] for REST request [{}]",
                                     given ? given->first : "", path));
        }
    }
    return security_exception(
        options, fmt::format("missing authentication credentials for REST request [{}]", path));
}

}  // namespace kt::tools::standin
