#pragma once

#include <map>
#include <memory>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "tools/es-standin/aliases.hpp"
#include "tools/es-standin/clock.hpp"
#include "tools/es-standin/index_store.hpp"

namespace kt::tools::standin {

using IndexPtr = std::shared_ptr<IndexStore>;

/// How a multi-index expression is resolved (ES `ignore_unavailable`, `allow_no_indices`, ...).
struct ResolveOptions {
    bool ignore_unavailable = false;
    bool allow_no_indices = true;
    bool include_closed = false;
    bool aliases_allowed = true;  ///< false for APIs that want concrete indices (delete index)
};

/// All indices and aliases of the stand-in (the "cluster state"). Thread-safe.
class Catalog {
public:
    explicit Catalog(Clock clock);

    /// Creates an index from a `PUT /{index}` body; throws ApiError (exists, bad name, ...).
    IndexPtr create_index(const std::string& name, const Json& body);
    /// Deletes the indices an expression names; returns the deleted names.
    std::vector<std::string> delete_indices(const std::string& expression,
                                            const ResolveOptions& options);
    /// Resolves a comma list / wildcard / alias expression to indices, sorted by name.
    std::vector<IndexPtr> resolve(const std::string& expression,
                                  const ResolveOptions& options) const;
    /// Resolves the target of a document write; auto-creates a missing index when allowed.
    IndexPtr resolve_for_write(const std::string& name, bool require_alias);
    /// The index named exactly `name`, or null.
    [[nodiscard]] IndexPtr find(const std::string& name) const;
    /// Names of all indices.
    [[nodiscard]] std::set<std::string> index_names() const;
    /// A copy of the alias table.
    [[nodiscard]] AliasTable aliases() const;
    /// True when `name` is an alias.
    [[nodiscard]] bool is_alias(const std::string& name) const;
    /// Applies `POST /_aliases` actions atomically; returns the response body.
    Json update_aliases(const std::vector<AliasAction>& actions);
    /// Refreshes every index whose refresh interval has passed.
    void refresh_due_indices() const;

private:
    IndexPtr create_locked(const std::string& name, const Json& body);

    Clock clock_;
    mutable std::shared_mutex mutex_;
    std::map<std::string, IndexPtr> indices_;
    AliasTable aliases_;
};

}  // namespace kt::tools::standin
