#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/es-standin/api_error.hpp"

namespace kt::tools::standin {

/// Throws 400 `parsing_exception` when `query` uses a query type the stand-in does not know.
/// Supported: match_all, match_none, ids, term, terms, match, range, exists, prefix, bool.
void validate_query(const Json& query);
/// True when `source` (of document `id` in `index`) matches `query` (null means match_all).
bool query_matches(const Json& query, const Json& source, const std::string& id,
                   const std::string& index);
/// Value at a dotted `path` of `source` (tries the literal key first), or null.
const Json* field_value(const Json& source, std::string_view path);

/// `_source` filtering as given by `_source`, `_source_includes`, `_source_excludes`.
struct SourceFilter {
    bool enabled = true;
    std::vector<std::string> includes;
    std::vector<std::string> excludes;

    /// True when the source is returned unchanged.
    [[nodiscard]] bool identity() const { return enabled && includes.empty() && excludes.empty(); }
    /// Applies includes/excludes to `source`.
    [[nodiscard]] Json apply(const Json& source) const;
    /// Reads a `_source` body value: bool, string, array or `{includes, excludes}`.
    static SourceFilter from_json(const Json& value);
    /// Reads the `_source`, `_source_includes` and `_source_excludes` query parameters.
    static SourceFilter from_params(const std::optional<std::string>& source,
                                    const std::optional<std::string>& includes,
                                    const std::optional<std::string>& excludes);
};

/// Parses a date `text` with a Java-style `format` (yyyy, MM, dd, HH, mm, ss, S...), or ISO 8601
/// / epoch millis when `format` is empty; returns epoch nanoseconds, or nothing when it fails.
std::optional<int64_t> parse_date_nanos(std::string_view text, std::string_view format);

}  // namespace kt::tools::standin
