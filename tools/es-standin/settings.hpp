#pragma once

#include <map>
#include <string>

#include "tools/es-standin/api_error.hpp"

namespace kt::tools::standin {

/// Index settings as Elasticsearch keeps them: flat `index.*` keys with string (or list) values.
using FlatSettings = std::map<std::string, Json>;

/// Flattens a settings object (`{"index":{"refresh_interval":"1s"}}`, `{"number_of_replicas":0}`)
/// into `index.*` keys with string values; throws ApiError 400 on non-object input.
FlatSettings flatten_settings(const Json& settings);
/// Renders settings nested (`{"index":{...}}`) or flat (`{"index.x":"..."}`).
Json render_settings(const FlatSettings& settings, bool flat);
/// Throws ApiError 400 when a setting value cannot be accepted at creation time.
void validate_new_index_settings(const FlatSettings& settings);

}  // namespace kt::tools::standin
