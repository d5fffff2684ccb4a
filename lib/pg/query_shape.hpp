#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

/// What an index's per-id query reads, worked out from PostgreSQL's own parse of it: which
/// tables feed the documents, how a changed row of each maps to document ids, which columns
/// matter, and the full-scan form of the query. Pure (parsing only, no catalog): names are
/// as written in the query.
namespace kt::pg {

/// A table as the query names it.
struct QueryTable {
    std::string schema;  ///< empty when the query does not qualify the name
    std::string name;
    std::string alias;  ///< the alias, or the name when there is none

    friend bool operator==(const QueryTable&, const QueryTable&) = default;
};

/// How a changed row of one table maps to the index's ids.
enum class FeedKind {
    kRoot,         ///< the row's key is the id (old and new on a key change)
    kChild,        ///< `column` holds the id (a child table referring to the root's key)
    kAssociation,  ///< `association_query` turns `column`'s values into ids
};

/// One table read by the query, and how its changes reach the index.
struct TableFeed {
    QueryTable table;
    FeedKind kind = FeedKind::kRoot;
    /// The column of this table whose old and new values are taken from the change: the root's
    /// key, the child's reference to it, or the value the association query is asked for.
    /// Empty for a table mapped by hand (`capture.tables`): its key, whatever it is called.
    std::string column;
    /// kAssociation: `SELECT <root key> … WHERE … = ANY($1)`, $1 the values of `column` (an
    /// untyped text array: PostgreSQL infers the element type from the compared column).
    std::string association_query;
    /// Columns of this table the query reads; a change to none of them changes no document.
    std::set<std::string> columns;
    /// True when the query reads columns that cannot be attributed (`t.*`, unqualified names
    /// with several tables in scope): then every change counts.
    bool all_columns = false;
};

/// A table (or the whole query, `table` empty) whose changes cannot be traced to ids.
struct FeedRefusal {
    std::string table;
    std::string reason;
};

/// The shape of one index query.
struct QueryShape {
    QueryTable root;          ///< the table whose key is compared with `= ANY($1)`
    std::string root_key;     ///< that key column
    std::vector<TableFeed> feeds;  ///< the root first, then in join order
    std::vector<FeedRefusal> refusals;
    /// The query with its `= ANY($1)` condition taken out: every row's id and doc. Empty when
    /// it cannot be derived; `scan_refusal` then says why.
    std::string scan_query;
    std::string scan_refusal;
};

/// Works out the shape of `query` (an index's `query:`). Throws QueryError when it does not
/// parse. Anything it cannot trace is a refusal, never a guess: a FROM item that is not a
/// table (a function, a subquery, LATERAL), a table not joined by equality of columns to the
/// root, a query with no `<alias>.<key> = ANY($1…)` condition, WITH or UNION.
[[nodiscard]] QueryShape query_shape(std::string_view query);

/// `name` as a double-quoted SQL identifier (`"a""b"`).
[[nodiscard]] std::string quote_identifier(std::string_view name);
/// `"schema"."name"`, or `"name"` when `schema` is empty.
[[nodiscard]] std::string quote_relation(std::string_view schema, std::string_view name);

}  // namespace kt::pg
