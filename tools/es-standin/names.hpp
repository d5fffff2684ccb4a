#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/es-standin/api_error.hpp"

namespace kt::tools::standin {

/// Why `name` is not a valid index name (Elasticsearch's wording), or nothing when it is valid.
std::optional<std::string> invalid_index_name_reason(std::string_view name);
/// Throws 400 `invalid_index_name_exception` when `name` is not a valid index name.
void check_index_name(const std::string& name);
/// Simple wildcard match where `*` matches any run of characters.
bool wildcard_match(std::string_view pattern, std::string_view text);
/// True when `expression` contains a `*`.
bool has_wildcard(std::string_view expression);
/// Splits "a,b,c" into its non-empty parts.
std::vector<std::string> split_csv(std::string_view text);
/// Resolves date math names like `<logs-{now/d}>` or `<x_{2022-12-31||/d{yyyy-MM-dd}}>`.
std::string resolve_date_math(std::string_view expression,
                              std::chrono::system_clock::time_point now);
/// Parses an Elasticsearch time value (`500ms`, `30s`, `1m`, `2h`, `1d`, `-1`); throws ApiError.
std::chrono::milliseconds parse_time_value(std::string_view text, std::string_view setting);
/// Parses "true"/"false"/"" (empty means true) as Elasticsearch parses boolean parameters.
bool parse_bool_param(std::string_view text, std::string_view name);

}  // namespace kt::tools::standin
