#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tools/es-standin/api_error.hpp"

namespace kt::tools::standin {

/// Properties of one alias on one index, as stored and returned by `GET /_alias`.
struct AliasProps {
    Json filter;  ///< null when the alias has no filter
    std::optional<std::string> index_routing;
    std::optional<std::string> search_routing;
    std::optional<bool> is_write_index;
    std::optional<bool> is_hidden;

    /// The alias body Elasticsearch returns, e.g. `{"index_routing":"r","search_routing":"r"}`.
    [[nodiscard]] Json to_json() const;
    /// Reads `filter`, `routing`, `index_routing`, `search_routing`, `is_write_index`, `is_hidden`.
    static AliasProps from_json(const Json& body);
};

/// index name -> alias name -> properties.
using AliasTable = std::map<std::string, std::map<std::string, AliasProps>>;

/// One entry of `POST /_aliases` `actions`.
struct AliasAction {
    enum class Type { kAdd, kRemove, kRemoveIndex };
    Type type = Type::kAdd;
    std::vector<std::string> indices;  ///< index expressions as given (may hold wildcards)
    std::vector<std::string> aliases;  ///< alias names as given (remove may hold wildcards)
    AliasProps props;
    std::optional<bool> must_exist;
};

/// Result of planning an alias request: the new table, indices to delete, per-action results.
struct AliasPlan {
    AliasTable next;
    std::set<std::string> removed_indices;
    bool errors = false;
    Json action_results = Json::array();  ///< only meaningful when `errors`
};

/// Parses a `POST /_aliases` body; throws ApiError 400 on malformed actions.
std::vector<AliasAction> parse_alias_actions(const Json& body);

/// Plans `actions` against `current` and the existing `indices`, all or nothing: throws ApiError
/// (leaving nothing changed) on any validation failure. Pure.
AliasPlan plan_alias_actions(const AliasTable& current, const std::set<std::string>& indices,
                             const std::vector<AliasAction>& actions);

/// Indices that `alias` points to in `table`.
std::vector<std::string> alias_indices(const AliasTable& table, const std::string& alias);
/// The write index of `alias`, or an error reason for writes through it (ES wording).
std::optional<std::string> alias_write_index(const AliasTable& table, const std::string& alias,
                                             std::string* error);
/// Throws 400 `illegal_state_exception` when an alias would get more than one write index.
void check_write_indices(const AliasTable& table);

}  // namespace kt::tools::standin
