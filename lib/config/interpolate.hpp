#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kt::config {

/// Looks a variable up; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

/// The process environment as an EnvLookup.
EnvLookup process_env();

/// Result of expanding `${VAR}` / `${VAR:-default}` in one scalar.
struct Interpolated {
    std::string value;
    /// One message per problem (unset variable without default, unterminated `${`); names only
    /// the variable, never a value.
    std::vector<std::string> problems;
};

/// Expands `${VAR}` and `${VAR:-default}` (default used when VAR is unset or empty, as in
/// shells); `$${` stands for a literal `${`. Other `$` characters are kept as they are.
Interpolated interpolate(std::string_view text, const EnvLookup& env);

}  // namespace kt::config
