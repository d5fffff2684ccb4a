#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace kt::es {

/// How to reach Elasticsearch (app::es_options builds it from the `elasticsearch:` section).
struct Options {
    /// Base URL, e.g. `https://es:9200` or `http://host/prefix`; may hold `user:pass@` (secret).
    std::string url = "http://localhost:9200";
    std::optional<std::string> username;
    std::optional<std::string> password;
    /// Sent as `Authorization: ApiKey <key>`; takes precedence over basic auth.
    std::optional<std::string> api_key;
    /// PEM file with the CA that signed the server certificate.
    std::optional<std::string> ca_file;
    /// Whole-request timeout (connect + send + wait + receive).
    std::chrono::milliseconds timeout{std::chrono::seconds(30)};
    /// Gzip request bodies larger than 1 KiB.
    bool compression = true;
};

/// `text` with every `scheme://user:pass@` userinfo replaced by `scheme://***@`.
[[nodiscard]] std::string redact_url_userinfo(std::string text);

/// `text` with URL userinfo, the password and the API key of `options` replaced by `***`.
[[nodiscard]] std::string redact(std::string text, const Options& options);

}  // namespace kt::es
