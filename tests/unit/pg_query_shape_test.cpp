#include "lib/pg/query_shape.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lib/pg/error.hpp"

namespace kt::pg {
namespace {

using ::testing::HasSubstr;

const TableFeed* feed_of(const QueryShape& shape, const std::string& alias) {
    for (const auto& feed : shape.feeds) {
        if (feed.table.alias == alias) return &feed;
    }
    return nullptr;
}

std::string reasons(const QueryShape& shape) {
    std::string out;
    for (const auto& r : shape.refusals) out += "[" + r.table + "] " + r.reason + "\n";
    return out;
}

constexpr const char* kOrders = R"(
    SELECT o.id, jsonb_build_object(
             'number', o.number,
             'customer', c.name,
             'organization', org.name) AS doc
    FROM orders o
    JOIN customers c ON c.id = o.customer_id
    JOIN organizations org ON org.id = c.organization_id
    WHERE o.id = ANY($1::bigint[]))";

TEST(QueryShape, TheRootIsTheTableWhoseKeyIsComparedWithAny) {
    const QueryShape shape = query_shape(kOrders);
    ASSERT_TRUE(shape.refusals.empty()) << reasons(shape);
    EXPECT_EQ(shape.root, (QueryTable{"", "orders", "o"}));
    EXPECT_EQ(shape.root_key, "id");
    ASSERT_EQ(shape.feeds.size(), 3U);
    EXPECT_EQ(shape.feeds[0].kind, FeedKind::kRoot);
    EXPECT_EQ(shape.feeds[0].column, "id");
    EXPECT_EQ(shape.feeds[0].columns, (std::set<std::string>{"id", "number", "customer_id"}));
}

TEST(QueryShape, AParentTwoJoinsAwayIsMappedByAnAssociationQueryAlongTheJoins) {
    const QueryShape shape = query_shape(kOrders);
    const TableFeed* customers = feed_of(shape, "c");
    ASSERT_NE(customers, nullptr);
    EXPECT_EQ(customers->kind, FeedKind::kAssociation);
    EXPECT_EQ(customers->column, "id");
    EXPECT_EQ(customers->association_query,
              R"(SELECT DISTINCT "o"."id" FROM "orders" "o" WHERE "o"."customer_id" = ANY($1))");
    EXPECT_EQ(customers->columns, (std::set<std::string>{"id", "name", "organization_id"}));

    const TableFeed* organizations = feed_of(shape, "org");
    ASSERT_NE(organizations, nullptr);
    EXPECT_EQ(organizations->kind, FeedKind::kAssociation);
    EXPECT_EQ(organizations->column, "id");
    EXPECT_EQ(organizations->association_query,
              R"(SELECT DISTINCT "o"."id" FROM "orders" "o" JOIN "customers" "c" ON )"
              R"("c"."id" = "o"."customer_id" WHERE "c"."organization_id" = ANY($1))");
    EXPECT_EQ(organizations->columns, (std::set<std::string>{"id", "name"}));
}

TEST(QueryShape, AChildReferringToTheRootKeyNeedsNoQuery) {
    const QueryShape shape = query_shape(R"(
        SELECT p.id, jsonb_build_object('title', p.title,
          'tags', (SELECT array_agg(t.name) FROM tags t WHERE t.product_id = p.id),
          'colors', (SELECT array_agg(c.name) FROM product_colors pc
                       JOIN colors c ON c.id = pc.color_id WHERE pc.product_id = p.id)) AS doc
        FROM products p WHERE p.id = ANY($1))");
    ASSERT_TRUE(shape.refusals.empty()) << reasons(shape);
    const TableFeed* tags = feed_of(shape, "t");
    ASSERT_NE(tags, nullptr);
    EXPECT_EQ(tags->kind, FeedKind::kChild);
    EXPECT_EQ(tags->column, "product_id");
    EXPECT_TRUE(tags->association_query.empty());
    EXPECT_EQ(tags->columns, (std::set<std::string>{"name", "product_id"}));

    const TableFeed* link = feed_of(shape, "pc");
    ASSERT_NE(link, nullptr);
    EXPECT_EQ(link->kind, FeedKind::kChild);
    EXPECT_EQ(link->column, "product_id");
    // A table the child joins: through the child to the root.
    const TableFeed* colors = feed_of(shape, "c");
    ASSERT_NE(colors, nullptr);
    EXPECT_EQ(colors->kind, FeedKind::kAssociation);
    EXPECT_EQ(colors->association_query,
              R"(SELECT DISTINCT "p"."id" FROM "products" "p" JOIN "product_colors" "pc" ON )"
              R"("pc"."product_id" = "p"."id" WHERE "pc"."color_id" = ANY($1))");
}

TEST(QueryShape, TheScanQueryIsTheQueryWithoutItsAnyCondition) {
    EXPECT_EQ(query_shape("SELECT id, to_jsonb(b) AS doc FROM brands b WHERE b.id = ANY($1)")
                  .scan_query,
              "SELECT id, to_jsonb(b) AS doc FROM brands b WHERE TRUE");
    EXPECT_EQ(query_shape("SELECT p.id, p.doc FROM products p\n"
                          "WHERE p.visible AND p.id = ANY ( CAST($1 AS bigint[]) ) AND p.x > 1")
                  .scan_query,
              "SELECT p.id, p.doc FROM products p\nWHERE p.visible AND TRUE AND p.x > 1");
    const QueryShape orders = query_shape(kOrders);
    EXPECT_EQ(orders.scan_query.substr(orders.scan_query.size() - 10), "WHERE TRUE")
        << orders.scan_query;
    EXPECT_TRUE(orders.scan_refusal.empty());
}

TEST(QueryShape, AScanCannotBeDerivedWhenParameterOneIsUsedElsewhere) {
    const QueryShape shape =
        query_shape("SELECT p.id, jsonb_build_object('n', $1::text[]) AS doc FROM products p "
                    "WHERE p.id = ANY($1::text[]::bigint[])");
    EXPECT_TRUE(shape.scan_query.empty());
    EXPECT_EQ(shape.scan_refusal, "the query uses $1 outside its = ANY($1) condition");
}

TEST(QueryShape, ColumnsOfAStarOrOfUnqualifiedNamesAmongSeveralTablesAreAllColumns) {
    const QueryShape star = query_shape(
        "SELECT p.id, to_jsonb(p.*) AS doc FROM products p LEFT JOIN brands b ON b.id = "
        "p.brand_id WHERE p.id = ANY($1)");
    EXPECT_TRUE(feed_of(star, "p")->all_columns);
    EXPECT_FALSE(feed_of(star, "b")->all_columns);
    const QueryShape unqualified = query_shape(
        "SELECT p.id, name AS doc FROM products p JOIN brands b ON b.id = p.brand_id "
        "WHERE p.id = ANY($1)");
    EXPECT_TRUE(feed_of(unqualified, "p")->all_columns);
    EXPECT_TRUE(feed_of(unqualified, "b")->all_columns);
    // One table: unqualified names are its own.
    const QueryShape single =
        query_shape("SELECT id, jsonb_build_object('t', title) AS doc FROM items WHERE id = ANY($1)");
    ASSERT_TRUE(single.refusals.empty()) << reasons(single);
    EXPECT_EQ(single.root.alias, "items");
    EXPECT_FALSE(single.feeds[0].all_columns);
    EXPECT_EQ(single.feeds[0].columns, (std::set<std::string>{"id", "title"}));
}

TEST(QueryShape, HostileNamesAreQuotedInTheAssociationQuery) {
    const QueryShape shape = query_shape(
        R"(SELECT o."Key", jsonb_build_object('p', x."na me") AS doc
           FROM "my schema"."Odd ""T""" o JOIN "Par""ent" x ON x."I d" = o."par id"
           WHERE o."Key" = ANY($1))");
    ASSERT_TRUE(shape.refusals.empty()) << reasons(shape);
    EXPECT_EQ(shape.root, (QueryTable{"my schema", "Odd \"T\"", "o"}));
    EXPECT_EQ(feed_of(shape, "x")->association_query,
              R"(SELECT DISTINCT "o"."Key" FROM "my schema"."Odd ""T""" "o" WHERE "o"."par id" )"
              R"(= ANY($1))");
}

TEST(QueryShape, WhatCannotBeTracedIsRefusedNamingTheTable) {
    const QueryShape loose = query_shape(
        "SELECT p.id, jsonb_build_object('r', r.name) AS doc FROM products p "
        "JOIN regions r ON r.lo <= p.zip WHERE p.id = ANY($1)");
    ASSERT_EQ(loose.refusals.size(), 1U) << reasons(loose);
    EXPECT_EQ(loose.refusals[0].table, "regions");
    EXPECT_EQ(loose.refusals[0].reason,
              "not joined to products by equality of columns (a.x = b.y); map it under "
              "capture.tables.regions");

    const auto refused = [](const char* sql) {
        const QueryShape s = query_shape(sql);
        return s.refusals.empty() ? std::string("(accepted)") : s.refusals[0].reason;
    };
    EXPECT_THAT(refused("SELECT p.id, g AS doc FROM products p, generate_series(1, 3) g "
                        "WHERE p.id = ANY($1)"),
                HasSubstr("not a table (RangeFunction"));
    EXPECT_THAT(refused("SELECT p.id, l.x AS doc FROM products p, LATERAL (SELECT 1 AS x) l "
                        "WHERE p.id = ANY($1)"),
                HasSubstr("not a table (RangeSubselect"));
    EXPECT_EQ(refused("SELECT id, doc FROM products WHERE id IN (SELECT unnest($1::bigint[]))"),
              "no `<alias>.<key> = ANY($1)` condition in its WHERE");
    EXPECT_EQ(refused("WITH x AS (SELECT 1) SELECT p.id, p.doc FROM products p "
                      "WHERE p.id = ANY($1)"),
              "a WITH clause; map its tables under capture.tables");
    EXPECT_THAT(refused("SELECT p.id, p.doc FROM products p WHERE p.id = ANY($1) "
                        "UNION SELECT 1, NULL"),
                HasSubstr("UNION"));
    EXPECT_THAT(refused("SELECT p.id, b.doc FROM products p JOIN brands b USING (brand_id) "
                        "WHERE p.id = ANY($1)"),
                HasSubstr("USING"));
    EXPECT_EQ(refused("SELECT p.id, (SELECT 1 FROM tags p WHERE p.x = 1) AS doc FROM products p "
                      "WHERE p.id = ANY($1)"),
              "the alias p names two tables; give each its own");
    EXPECT_EQ(refused("SELECT 1; SELECT 2"), "the query is not one SELECT");
}

TEST(QueryShape, AQueryThatDoesNotParseIsAQueryErrorWithItsPosition) {
    try {
        (void)query_shape("SELECT p.id FROM products p WHERE p.id = ANY($1) ORDER");
        FAIL() << "no error";
    } catch (const QueryError& e) {
        EXPECT_STREQ(e.what(), "the query does not parse: syntax error at end of input "
                               "(at character 55)");
    }
}

TEST(QueryShape, QuoteIdentifierDoublesQuotes) {
    EXPECT_EQ(quote_identifier("a\"b c"), "\"a\"\"b c\"");
}

}  // namespace
}  // namespace kt::pg
