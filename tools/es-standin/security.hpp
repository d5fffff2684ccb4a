#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tools/es-standin/api_error.hpp"

namespace kt::tools::standin {

/// Credentials the stand-in requires, like Elasticsearch with security enabled. None set: every
/// request is accepted (security off).
struct AuthOptions {
    /// `user:password` accepted as HTTP basic auth.
    std::optional<std::string> basic_auth;
    /// Accepted as `Authorization: ApiKey <key>` (the key exactly as configured).
    std::optional<std::string> api_key;

    /// True when any credential is required.
    [[nodiscard]] bool enabled() const { return basic_auth.has_value() || api_key.has_value(); }
};

/// The `WWW-Authenticate` challenges Elasticsearch 8 sends with a 401, for the schemes enabled.
[[nodiscard]] std::string auth_challenge(const AuthOptions& options);

/// Checks the `Authorization` header (nullptr when absent) of a request for `path`: nullopt when
/// it is accepted, else the 401 `security_exception` Elasticsearch answers (missing credentials,
/// unknown user or wrong password, unknown API key).
[[nodiscard]] std::optional<ApiError> authenticate(const AuthOptions& options,
                                                   const std::string* authorization,
                                                   std::string_view path);

/// Parses `--basic-auth` values: `user:password` with a non-empty user; nullopt otherwise.
[[nodiscard]] std::optional<std::pair<std::string, std::string>> parse_basic_auth(
    std::string_view value);

}  // namespace kt::tools::standin
