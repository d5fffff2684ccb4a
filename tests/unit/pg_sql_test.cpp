#include <gtest/gtest.h>

#include "lib/pg/sql.hpp"

namespace kt::pg {
namespace {

TEST(PgTextArrayLiteral, QuotesEveryElement) {
    EXPECT_EQ(text_array_literal({}), "{}");
    EXPECT_EQ(text_array_literal({"1", "22"}), R"({"1","22"})");
    EXPECT_EQ(text_array_literal({""}), R"({""})");
    EXPECT_EQ(text_array_literal({"NULL"}), R"({"NULL"})");
}

TEST(PgTextArrayLiteral, EscapesQuotesAndBackslashes) {
    EXPECT_EQ(text_array_literal({R"(a"b)", R"(c\d)"}), R"({"a\"b","c\\d"})");
    EXPECT_EQ(text_array_literal({"x}", "{y,z"}), R"({"x}","{y,z"})");
    EXPECT_EQ(text_array_literal({"1'); DROP TABLE t; --"}), R"({"1'); DROP TABLE t; --"})");
}

TEST(PgSplitTableName, SplitsAtFirstDot) {
    const TableName plain = split_table_name("products");
    EXPECT_EQ(plain.schema, "");
    EXPECT_EQ(plain.name, "products");
    const TableName qualified = split_table_name("shop.products");
    EXPECT_EQ(qualified.schema, "shop");
    EXPECT_EQ(qualified.name, "products");
    const TableName dotted = split_table_name("shop.a.b");
    EXPECT_EQ(dotted.schema, "shop");
    EXPECT_EQ(dotted.name, "a.b");
}

TEST(PgTableQuery, ComparesKeyWithItsOwnType) {
    EXPECT_EQ(
        table_query(R"("public"."Weird ""x""")", R"("id")", "bigint"),
        R"(SELECT t."id"::text AS id, to_jsonb(t)::text AS doc FROM "public"."Weird ""x""" t )"
        R"(WHERE t."id" = ANY($1::bigint[]))");
}

TEST(PgOneLine, FoldsServerMessage) {
    EXPECT_EQ(one_line("ERROR:  syntax error\nLINE 1: SELEC\n        ^\n"),
              "ERROR:  syntax error | LINE 1: SELEC |         ^");
    EXPECT_EQ(one_line("plain"), "plain");
    EXPECT_EQ(one_line(""), "");
}

}  // namespace
}  // namespace kt::pg
