#include "lib/pg/detail/table_lookup.hpp"

#include <fmt/format.h>

#include "lib/pg/error.hpp"
#include "lib/pg/sql.hpp"

namespace kt::pg::detail {

namespace {

// $1 the whole `table:` value (an unqualified name looked up on the search_path),
// $2/$3 its schema/table split at the first dot; the qualified reading wins.
constexpr const char* kLookupTable = R"sql(
SELECT n.nspname::text, c.relname::text, pk.nkeys, pk.attname, pk.typname
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN LATERAL (
  SELECT i.indnkeyatts::int AS nkeys, a.attname::text AS attname,
         pg_catalog.format_type(a.atttypid, NULL) AS typname
  FROM pg_catalog.pg_index i
  JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
  WHERE i.indrelid = c.oid AND i.indisprimary) pk ON true
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND ((n.nspname = $2 AND c.relname = $3)
       OR (c.relname = $1 AND pg_catalog.pg_table_is_visible(c.oid)))
ORDER BY (n.nspname = $2 AND c.relname = $3) DESC
LIMIT 1)sql";

}  // namespace

ResolvedTable resolve_table(pqxx::connection& conn, const std::string& index_name,
                            const std::string& table) {
    const TableName name = split_table_name(table);
    pqxx::result found;
    {
        pqxx::nontransaction tx(conn);
        found = tx.exec_params(kLookupTable, table, name.schema, name.name);
        tx.commit();
    }
    if (found.empty()) {
        throw QueryError(fmt::format("index '{}': table '{}' does not exist", index_name, table));
    }
    const pqxx::row row = found[0];
    if (row[2].is_null()) {
        throw QueryError(fmt::format(
            "index '{}': table '{}' has no primary key; `table:` needs a single-column primary "
            "key, otherwise write a `query:`",
            index_name, table));
    }
    if (const int keys = row[2].as<int>(); keys != 1) {
        throw QueryError(fmt::format(
            "index '{}': table '{}' has a composite primary key ({} columns); `table:` needs a "
            "single-column primary key, otherwise write a `query:`",
            index_name, table, keys));
    }
    return ResolvedTable{conn.quote_name(row[0].c_str()) + "." + conn.quote_name(row[1].c_str()),
                         conn.quote_name(row[3].c_str()), row[4].c_str()};
}

std::string table_scan_query(const ResolvedTable& table) {
    return fmt::format("SELECT t.{pk}::text AS id, to_jsonb(t)::text AS doc FROM {rel} t",
                       fmt::arg("pk", table.quoted_pk), fmt::arg("rel", table.quoted_relation));
}

}  // namespace kt::pg::detail
