#pragma once

#include <string>
#include <string_view>

#include "lib/metrics/labels.hpp"

namespace kt::metrics {

// Prometheus text exposition format 0.0.4 building blocks; pure string functions.

/// Escapes `\` and newline, as `# HELP` text requires.
[[nodiscard]] std::string escape_help(std::string_view help);
/// Escapes `\`, `"` and newline, as label values require.
[[nodiscard]] std::string escape_label_value(std::string_view value);
/// A sample value: shortest round-trip decimal, `+Inf`, `-Inf` or `NaN`.
[[nodiscard]] std::string format_value(double value);
/// `{a="1",b="2"}` (empty when there are no labels); `extra` (e.g. `le="0.5"`, already
/// formatted) is appended last.
[[nodiscard]] std::string format_labels(const Labels& labels, std::string_view extra = {});

}  // namespace kt::metrics
