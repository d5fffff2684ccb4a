#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "lib/config/config.hpp"

namespace kt::config {

/// Parses `250ms`, `30s`, `5m`, `1h` or a sum such as `1h30m`; nullopt when malformed.
std::optional<Duration> parse_duration(std::string_view text);

/// Formats a duration in the largest unit that divides it exactly: 300000ms -> "5m".
std::string format_duration(Duration d);

}  // namespace kt::config
