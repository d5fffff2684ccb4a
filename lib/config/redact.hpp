#pragma once

#include <string>
#include <string_view>

namespace kt::config {

/// Replaces the password of `scheme://user:password@host…` URLs and libpq `password=…`
/// keywords with `***`, wherever they occur in `text`. Safe to apply to any message.
std::string redact(std::string_view text);

/// True for config and librdkafka keys whose values are secrets (password, api_key, sasl.*…).
bool is_secret_key(std::string_view key);

}  // namespace kt::config
