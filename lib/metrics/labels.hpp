#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kt::metrics {

/// A label set: (name, value) pairs, e.g. `{{"index", "products"}, {"op", "index"}}`.
using Labels = std::vector<std::pair<std::string, std::string>>;

/// Throws kt::Error naming `name` unless it matches `[a-zA-Z_:][a-zA-Z0-9_:]*`.
void validate_metric_name(std::string_view name);

/// Validates every label name of `labels` (`[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`,
/// no duplicates, none listed in `reserved`) and returns them sorted by name, which makes the
/// set canonical. Throws kt::Error naming the metric and the bad label.
[[nodiscard]] Labels canonical_labels(std::string_view metric, Labels labels,
                                      const std::vector<std::string_view>& reserved = {});

}  // namespace kt::metrics
