#include "lib/pg/sql_tree.hpp"

#include <fmt/format.h>
#include <pg_query.h>

#include <memory>
#include <string>

#include "lib/pg/error.hpp"

namespace kt::pg {
namespace {

struct ParseResultFree {
    void operator()(PgQueryParseResult* result) const noexcept {
        pg_query_free_parse_result(*result);
        delete result;
    }
};

}  // namespace

nlohmann::json parse_sql_tree(std::string_view sql) {
    const std::string text(sql);
    std::unique_ptr<PgQueryParseResult, ParseResultFree> result(
        new PgQueryParseResult(pg_query_parse(text.c_str())));
    if (result->error != nullptr) {
        throw QueryError(fmt::format("the query does not parse: {} (at character {})",
                                     result->error->message, result->error->cursorpos));
    }
    return nlohmann::json::parse(result->parse_tree);
}

}  // namespace kt::pg
