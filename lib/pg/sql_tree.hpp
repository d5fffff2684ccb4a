#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

namespace kt::pg {

/// Parses `sql` with PostgreSQL 15's own grammar (libpg_query) and returns its raw parse tree
/// as JSON (`{"version": …, "stmts": [{"stmt": {"SelectStmt": …}}]}`, node names as in
/// PostgreSQL's parsenodes.h; `location` fields are byte offsets into `sql`). Throws
/// QueryError naming the syntax error and its position. No catalog lookups: names are not
/// resolved.
[[nodiscard]] nlohmann::json parse_sql_tree(std::string_view sql);

}  // namespace kt::pg
