#pragma once

#include <pqxx/pqxx>

#include <string>

// Resolution of the `table:` shorthand to its quoted relation and primary key, private to lib/pg.
namespace kt::pg::detail {

/// A `table:` value resolved in the database.
struct ResolvedTable {
    std::string quoted_relation;  ///< `"schema"."table"`
    std::string quoted_pk;        ///< `"id"`
    std::string pk_type;          ///< as format_type prints it, e.g. `bigint`
};

/// Looks `table` up (a qualified name first, else on the search_path); throws QueryError naming
/// `index_name` when it does not exist or has no single-column primary key, pqxx errors as is.
[[nodiscard]] ResolvedTable resolve_table(pqxx::connection& conn, const std::string& index_name,
                                          const std::string& table);

/// `SELECT t.<pk>::text AS id, to_jsonb(t)::text AS doc FROM <relation> t`: every row, the same
/// documents as the `table:` row query.
[[nodiscard]] std::string table_scan_query(const ResolvedTable& table);

}  // namespace kt::pg::detail
