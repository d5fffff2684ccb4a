#include "lib/pg/query_shape.hpp"

#include <fmt/format.h>

#include <deque>
#include <map>
#include <nlohmann/json.hpp>

#include "lib/pg/error.hpp"
#include "lib/pg/sql_tree.hpp"

namespace kt::pg {
namespace {

using nlohmann::json;

/// The inner object of `node` when it is a `type` node (`{"RangeVar": {…}}`), else nullptr.
const json* as(const json& node, const char* type) {
    if (!node.is_object()) return nullptr;
    const auto it = node.find(type);
    return it == node.end() ? nullptr : &*it;
}

std::string sval(const json& string_node) {
    const json* s = as(string_node, "String");
    return s != nullptr ? s->value("sval", "") : std::string();
}

/// `alias.column` of a ColumnRef (through a TypeCast); alias empty when unqualified, column
/// `*` for a star.
struct ColumnName {
    std::string alias;
    std::string column;
};

std::optional<ColumnName> column_of(const json& node) {
    if (const json* cast = as(node, "TypeCast")) return column_of(cast->at("arg"));
    const json* ref = as(node, "ColumnRef");
    if (ref == nullptr) return std::nullopt;
    const json& fields = ref->at("fields");
    const auto part = [](const json& f) {
        return as(f, "A_Star") != nullptr ? std::string("*") : sval(f);
    };
    if (fields.size() == 1) return ColumnName{{}, part(fields[0])};
    if (fields.size() == 2) return ColumnName{sval(fields[0]), part(fields[1])};
    return std::nullopt;  // schema.table.column: not attributed
}

/// `a.x = b.y` between two different tables.
struct Equality {
    ColumnName left;
    ColumnName right;
};

/// The conjuncts of a WHERE or ON condition (an AND tree flattened).
void conjuncts(const json& node, std::vector<const json*>& out) {
    if (const json* b = as(node, "BoolExpr"); b != nullptr && b->value("boolop", "") == "AND_EXPR") {
        for (const auto& arg : b->at("args")) conjuncts(arg, out);
        return;
    }
    out.push_back(&node);
}

bool is_equals(const json& expr, const char* kind) {
    return expr.value("kind", "") == kind && expr.contains("name") && expr["name"].size() == 1 &&
           sval(expr["name"][0]) == "=";
}

bool is_param_one(const json& node) {
    if (const json* cast = as(node, "TypeCast")) return is_param_one(cast->at("arg"));
    const json* p = as(node, "ParamRef");
    return p != nullptr && p->value("number", 0) == 1;
}

/// Everything gathered in one walk of the parse tree.
struct Walk {
    std::vector<QueryTable> tables;
    std::vector<Equality> equalities;
    std::vector<ColumnName> columns;
    std::vector<FeedRefusal> refusals;
    const json* any_predicate = nullptr;  ///< the top-level `x = ANY($1)` A_Expr
    std::size_t any_start = 0;            ///< where its left side starts in the text
};

void collect_equalities(const json& condition, Walk& walk) {
    std::vector<const json*> parts;
    conjuncts(condition, parts);
    for (const json* part : parts) {
        const json* expr = as(*part, "A_Expr");
        if (expr == nullptr || !is_equals(*expr, "AEXPR_OP")) continue;
        const auto left = column_of(expr->at("lexpr"));
        const auto right = column_of(expr->at("rexpr"));
        if (left && right && !left->alias.empty() && !right->alias.empty() &&
            left->alias != right->alias) {
            walk.equalities.push_back({*left, *right});
        }
    }
}

void walk_node(const json& node, Walk& walk);

void walk_from_item(const json& item, Walk& walk) {
    if (const json* rv = as(item, "RangeVar")) {
        QueryTable table{rv->value("schemaname", ""), rv->value("relname", ""), {}};
        table.alias = rv->contains("alias") ? rv->at("alias").value("aliasname", table.name)
                                            : table.name;
        walk.tables.push_back(std::move(table));
        return;
    }
    if (const json* join = as(item, "JoinExpr")) {
        walk_from_item(join->at("larg"), walk);
        walk_from_item(join->at("rarg"), walk);
        if (join->contains("usingClause") || join->value("isNatural", false)) {
            walk.refusals.push_back(
                {{}, "a join with USING or NATURAL: write it as ON a.x = b.y so each column's "
                     "table is named"});
        }
        if (join->contains("quals")) {
            collect_equalities(join->at("quals"), walk);
            walk_node(join->at("quals"), walk);
        }
        return;
    }
    const std::string type = item.is_object() && !item.empty() ? item.begin().key() : "?";
    walk.refusals.push_back(
        {{}, fmt::format("a FROM item that is not a table ({}: a function, subquery or LATERAL "
                         "item); map its tables under capture.tables",
                         type)});
}

void walk_select(const json& select, Walk& walk) {
    if (select.contains("withClause")) {
        walk.refusals.push_back({{}, "a WITH clause; map its tables under capture.tables"});
    }
    if (select.contains("larg")) {
        walk.refusals.push_back({{}, "UNION, INTERSECT or EXCEPT; map its tables under "
                                     "capture.tables"});
        return;
    }
    if (select.contains("fromClause")) {
        for (const auto& item : select.at("fromClause")) walk_from_item(item, walk);
    }
    if (select.contains("whereClause")) collect_equalities(select.at("whereClause"), walk);
    for (const auto& [key, value] : select.items()) {
        if (key != "fromClause") walk_node(value, walk);
    }
}

/// Walks expressions: column references, and the SELECTs of subqueries.
void walk_node(const json& node, Walk& walk) {
    if (node.is_array()) {
        for (const auto& child : node) walk_node(child, walk);
        return;
    }
    if (!node.is_object()) return;
    if (const json* select = as(node, "SelectStmt")) {
        walk_select(*select, walk);
        return;
    }
    if (const auto column = column_of(node)) {
        walk.columns.push_back(*column);
        return;
    }
    for (const auto& [key, value] : node.items()) walk_node(value, walk);
}

/// The top-level `<alias>.<key> = ANY($1…)` condition.
void find_any_predicate(const json& select, Walk& walk) {
    if (!select.contains("whereClause")) return;
    std::vector<const json*> parts;
    conjuncts(select.at("whereClause"), parts);
    for (const json* part : parts) {
        const json* expr = as(*part, "A_Expr");
        if (expr != nullptr && is_equals(*expr, "AEXPR_OP_ANY") && is_param_one(expr->at("rexpr")) &&
            column_of(expr->at("lexpr"))) {
            walk.any_predicate = expr;
            const json* ref = as(expr->at("lexpr"), "ColumnRef");
            if (ref == nullptr) ref = as(expr->at("lexpr").at("TypeCast").at("arg"), "ColumnRef");
            walk.any_start = ref != nullptr ? ref->value("location", std::size_t{0}) : 0;
            return;
        }
    }
}

/// The end of `ANY ( … )` that starts after `from`: one past its closing parenthesis, quotes
/// and nested parentheses skipped; npos when the text does not have that shape.
std::size_t end_of_any(std::string_view sql, std::size_t from) {
    const auto open = sql.find('(', from);
    if (open == std::string_view::npos) return open;
    int depth = 0;
    char quote = 0;
    for (std::size_t i = open; i < sql.size(); ++i) {
        const char c = sql[i];
        if (quote != 0) {
            if (c == quote) quote = 0;
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '(') {
            ++depth;
        } else if (c == ')' && --depth == 0) {
            return i + 1;
        }
    }
    return std::string_view::npos;
}

/// The query with its `= ANY($1)` condition replaced by TRUE, checked by parsing it again.
void derive_scan(std::string_view query, const Walk& walk, QueryShape& shape) {
    const std::size_t op = walk.any_predicate->value("location", std::size_t{0});
    const std::size_t end = end_of_any(query, op);
    if (end == std::string_view::npos || walk.any_start >= op) {
        shape.scan_refusal = "the = ANY($1) condition could not be located in the text";
        return;
    }
    std::string scan(query.substr(0, walk.any_start));
    scan += "TRUE";
    scan += query.substr(end);
    try {
        const std::string tree = parse_sql_tree(scan).dump();
        if (tree.find("\"ParamRef\"") != std::string::npos) {
            shape.scan_refusal = "the query uses $1 outside its = ANY($1) condition";
            return;
        }
    } catch (const QueryError& e) {
        shape.scan_refusal = fmt::format("without its = ANY($1) condition {}", e.what());
        return;
    }
    shape.scan_query = std::move(scan);
}

/// `SELECT DISTINCT r.key FROM root r JOIN … WHERE <last>.<column> = ANY($1)` along `path`
/// (aliases from the root to the table whose column is compared).
std::string association_query(const QueryShape& shape, const std::vector<QueryTable>& path,
                              const std::vector<Equality>& joins, const ColumnName& compared) {
    const auto qualified = [](const QueryTable& t) { return quote_relation(t.schema, t.name); };
    std::string sql = fmt::format("SELECT DISTINCT {}.{} FROM {} {}", quote_identifier(path[0].alias),
                                  quote_identifier(shape.root_key), qualified(path[0]),
                                  quote_identifier(path[0].alias));
    for (std::size_t i = 1; i < path.size(); ++i) {
        const Equality& on = joins[i - 1];
        sql += fmt::format(" JOIN {} {} ON {}.{} = {}.{}", qualified(path[i]),
                           quote_identifier(path[i].alias), quote_identifier(on.left.alias),
                           quote_identifier(on.left.column), quote_identifier(on.right.alias),
                           quote_identifier(on.right.column));
    }
    sql += fmt::format(" WHERE {}.{} = ANY($1)", quote_identifier(compared.alias),
                       quote_identifier(compared.column));
    return sql;
}

/// Breadth-first from the root over the equalities: each table reached gets its feed.
void trace_feeds(const Walk& walk, QueryShape& shape) {
    std::map<std::string, const QueryTable*> by_alias;
    for (const auto& t : walk.tables) by_alias[t.alias] = &t;
    struct Reached {
        std::vector<QueryTable> path;
        std::vector<Equality> joins;
    };
    std::map<std::string, Reached> reached;
    reached[shape.root.alias] = {{shape.root}, {}};
    TableFeed root{shape.root, FeedKind::kRoot, shape.root_key, {}, {}, false};
    shape.feeds.push_back(root);
    std::deque<std::string> queue{shape.root.alias};
    while (!queue.empty()) {
        const std::string from = queue.front();
        queue.pop_front();
        for (const auto& eq : walk.equalities) {
            for (const auto& [near, far] : {std::pair{eq.left, eq.right}, {eq.right, eq.left}}) {
                if (near.alias != from || reached.contains(far.alias) ||
                    !by_alias.contains(far.alias)) {
                    continue;
                }
                const Reached& prev = reached[from];
                TableFeed feed{*by_alias[far.alias], FeedKind::kChild, far.column, {}, {}, false};
                if (from != shape.root.alias || near.column != shape.root_key) {
                    feed.kind = FeedKind::kAssociation;
                    feed.association_query = association_query(shape, prev.path, prev.joins, near);
                }
                Reached next = prev;
                next.path.push_back(*by_alias[far.alias]);
                next.joins.push_back({far, near});
                reached[far.alias] = std::move(next);
                shape.feeds.push_back(std::move(feed));
                queue.push_back(far.alias);
            }
        }
    }
    for (const auto& t : walk.tables) {
        if (reached.contains(t.alias)) continue;
        shape.refusals.push_back(
            {t.name, fmt::format("not joined to {} by equality of columns (a.x = b.y); map it "
                                 "under capture.tables.{}",
                                 shape.root.name, t.name)});
    }
}

/// Which columns of each table the query reads.
void attribute_columns(const Walk& walk, QueryShape& shape) {
    const bool single = walk.tables.size() == 1;
    bool unattributed = false;
    for (const auto& c : walk.columns) {
        if (c.alias.empty() && !single) unattributed = true;
    }
    for (auto& feed : shape.feeds) {
        feed.all_columns = unattributed;
        for (const auto& c : walk.columns) {
            if (c.alias != feed.table.alias && !(single && c.alias.empty())) continue;
            if (c.column == "*") feed.all_columns = true;
            feed.columns.insert(c.column);
        }
        feed.columns.insert(feed.column);
    }
}

}  // namespace

std::string quote_identifier(std::string_view name) {
    std::string out = "\"";
    for (const char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string quote_relation(std::string_view schema, std::string_view name) {
    return schema.empty() ? quote_identifier(name)
                          : quote_identifier(schema) + "." + quote_identifier(name);
}

QueryShape query_shape(std::string_view query) {
    const json tree = parse_sql_tree(query);
    QueryShape shape;
    const auto& stmts = tree.at("stmts");
    const json* select = stmts.size() == 1 ? as(stmts[0].at("stmt"), "SelectStmt") : nullptr;
    if (select == nullptr) {
        shape.refusals.push_back({{}, "the query is not one SELECT"});
        return shape;
    }
    Walk walk;
    walk_select(*select, walk);
    find_any_predicate(*select, walk);
    std::map<std::string, int> seen;
    for (const auto& t : walk.tables) {
        if (++seen[t.alias] == 2) {
            walk.refusals.push_back(
                {t.name, fmt::format("the alias {} names two tables; give each its own", t.alias)});
        }
    }
    shape.refusals = walk.refusals;
    if (walk.any_predicate == nullptr) {
        shape.refusals.push_back({{}, "no `<alias>.<key> = ANY($1)` condition in its WHERE"});
        shape.scan_refusal = shape.refusals.back().reason;
        return shape;
    }
    const ColumnName key = *column_of(walk.any_predicate->at("lexpr"));
    for (const auto& t : walk.tables) {
        if (t.alias == key.alias || (key.alias.empty() && walk.tables.size() == 1)) shape.root = t;
    }
    shape.root_key = key.column;
    if (shape.root.name.empty()) {
        shape.refusals.push_back(
            {{}, fmt::format("the = ANY($1) condition's column {} names no table of the FROM "
                             "clause",
                             key.alias.empty() ? key.column : key.alias + "." + key.column)});
        return shape;
    }
    derive_scan(query, walk, shape);
    trace_feeds(walk, shape);
    attribute_columns(walk, shape);
    return shape;
}

}  // namespace kt::pg
