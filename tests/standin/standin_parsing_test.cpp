#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tools/es-standin/bulk_parse.hpp"
#include "tools/es-standin/names.hpp"
#include "tools/es-standin/search.hpp"

namespace kt::tools::standin {
namespace {

TEST(StandinSearch, ResultWindowLimitMatchesElasticsearch) {
    EXPECT_NO_THROW(check_result_window(9990, 10, 10000, "i"));
    try {
        check_result_window(9991, 10, 10000, "i");
        FAIL() << "expected an error";
    } catch (const ApiError& error) {
        EXPECT_EQ(error.status(), 400);
        EXPECT_EQ(error.type(), "search_phase_execution_exception");
        const Json body = error.body();
        EXPECT_EQ(body["error"]["root_cause"][0]["type"], "illegal_argument_exception");
        EXPECT_NE(body["error"]["root_cause"][0]["reason"].get<std::string>().find(
                      "Result window is too large, from + size must be less than or equal to: "
                      "[10000] but was [10001]"),
                  std::string::npos);
    }
}

/// What parse_bulk makes of `body`: the fields of each item, or the request's error.
std::string parsed_summary(const std::string& body) {
    try {
        std::string out;
        for (const BulkItem& item : parse_bulk(body, BulkDefaults{"d"})) {
            out += fmt::format("{} {} {} {} {} {} {} {};", bulk_op_name(item.op), item.index,
                               item.id.value_or("(none)"), item.conditions.version.value_or(-1),
                               static_cast<int>(item.conditions.version_type),
                               static_cast<int>(item.conditions.op), item.source,
                               item.error ? item.error->reason() : "");
        }
        return out;
    } catch (const ApiError& e) {
        return fmt::format("error {} {}", e.type(), e.reason());
    }
}

TEST(StandinBulkParse, PlainActionLinesReadTheSameAsAnyOther) {
    // Plain action lines take a faster reader; an ignored `routing` member sends the same line
    // through the general one. Both must agree on everything they read and every error.
    for (const std::string meta :
         {R"("_index":"a","_id":"1")", R"("_id":"x","version":7,"version_type":"external")",
          R"("_id":"y","version":3,"version_type":"external_gte","_index":"b")", R"("_id":"")",
          R"("_id":"z","version_type":"internal")", R"("_id":"v","version":2)"}) {
        for (const std::string op : {"index", "create", "delete"}) {
            SCOPED_TRACE(op + " " + meta);
            const std::string source = op == "delete" ? "" : "{\"f\":1}\n";
            const std::string plain = parsed_summary("{\"" + op + "\":{" + meta + "}}\n" + source);
            EXPECT_EQ(plain, parsed_summary("{\"" + op + "\":{" + meta + ",\"routing\":\"r\"}}\n" +
                                            source));
            EXPECT_NE(plain, "");
        }
    }
}

TEST(StandinBulkParse, KeepsOrderAndItemErrors) {
    const auto items = parse_bulk(
        "{\"index\":{\"_index\":\"a\",\"_id\":\"1\"}}\n{\"f\":1}\n"
        "{\"delete\":{\"_index\":\"a\",\"_id\":\"2\"}}\n"
        "{\"create\":{\"_index\":\"a\",\"_id\":\"\"}}\n{\"f\":2}\n",
        BulkDefaults{});
    ASSERT_EQ(items.size(), 3u);
    EXPECT_EQ(items[0].op, BulkOp::kIndex);
    EXPECT_EQ(items[0].source, "{\"f\":1}");
    EXPECT_EQ(items[1].op, BulkOp::kDelete);
    ASSERT_TRUE(items[2].error.has_value());
    EXPECT_EQ(items[2].error->reason(), "if _id is specified it must not be empty");
}

TEST(StandinBulkParse, MalformedActionFailsWholeRequest) {
    try {
        parse_bulk("{\"index\":{\"_index\":\"a\"}}\n{\"f\":1}\n{}\n", BulkDefaults{});
        FAIL() << "expected an error";
    } catch (const ApiError& error) {
        EXPECT_EQ(error.status(), 400);
        EXPECT_EQ(error.reason(),
                  "Malformed action/metadata line [3], expected FIELD_NAME but found [END_OBJECT]");
    }
    EXPECT_THROW(parse_bulk("{\"index\":{\"_index\":\"a\"}}\n{}", BulkDefaults{}), ApiError);
}

TEST(StandinNames, IndexNameRules) {
    EXPECT_EQ(invalid_index_name_reason("Upper"), "must be lowercase");
    EXPECT_TRUE(invalid_index_name_reason("_x").has_value());
    EXPECT_FALSE(invalid_index_name_reason("products_20240101").has_value());
    EXPECT_EQ(
        resolve_date_math("<logs_{2022-12-31||/d{yyyy-MM-dd}}>", std::chrono::system_clock::now()),
        "logs_2022-12-31");
}

}  // namespace
}  // namespace kt::tools::standin
