#include <gtest/gtest.h>

#include "tools/es-standin/aliases.hpp"

namespace kt::tools::standin {
namespace {

std::vector<AliasAction> actions(const char* json) {
    return parse_alias_actions(Json::parse(json));
}

TEST(StandinAliases, SwapIsAtomic) {
    AliasTable table;
    table["old"]["live"] = AliasProps{};
    const auto plan = plan_alias_actions(
        table, {"old", "new"}, actions(R"({"actions":[{"remove":{"index":"old","alias":"live"}},
                               {"add":{"index":"new","alias":"live"}}]})"));
    EXPECT_EQ(alias_indices(plan.next, "live"), std::vector<std::string>{"new"});
    EXPECT_FALSE(plan.errors);
}

TEST(StandinAliases, FailingActionLeavesNothingChanged) {
    AliasTable table;
    table["old"]["live"] = AliasProps{};
    const AliasTable before = table;
    EXPECT_THROW(plan_alias_actions(table, {"old"},
                                    actions(R"({"actions":[{"add":{"index":"old","alias":"x"}},
                                        {"add":{"index":"missing","alias":"y"}}]})")),
                 ApiError);
    EXPECT_EQ(alias_indices(table, "x").size(), 0u);
    EXPECT_EQ(alias_indices(before, "live"), alias_indices(table, "live"));
}

TEST(StandinAliases, MustExistRemoveOfMissingAliasFailsWhole) {
    AliasTable table;
    try {
        plan_alias_actions(
            table, {"i"},
            actions(R"({"actions":[{"remove":{"index":"i","alias":"a","must_exist":true}},
                                                   {"add":{"index":"i","alias":"b"}}]})"));
        FAIL() << "expected aliases_not_found_exception";
    } catch (const ApiError& error) {
        EXPECT_EQ(error.status(), 404);
        EXPECT_EQ(error.type(), "aliases_not_found_exception");
        EXPECT_EQ(error.reason(), "aliases [a] missing");
    }
}

TEST(StandinAliases, RemoveIndexThenAliasWithItsName) {
    const auto plan =
        plan_alias_actions({}, {"test", "test_2"},
                           actions(R"({"actions":[{"add":{"index":"test_2","aliases":["test","w"]}},
                               {"remove_index":{"index":"test"}}]})"));
    EXPECT_EQ(plan.removed_indices.count("test"), 1u);
    EXPECT_EQ(alias_indices(plan.next, "test"), std::vector<std::string>{"test_2"});
}

TEST(StandinAliases, AliasOverSeveralIndicesNeedsWriteIndex) {
    AliasTable table;
    table["a"]["x"] = AliasProps{};
    table["b"]["x"] = AliasProps{};
    std::string error;
    EXPECT_FALSE(alias_write_index(table, "x", &error).has_value());
    EXPECT_NE(error.find("no write index is defined for alias [x]"), std::string::npos);
    table["b"]["x"].is_write_index = true;
    EXPECT_EQ(alias_write_index(table, "x", nullptr), "b");
}

TEST(StandinAliases, TwoWriteIndicesAreRejected) {
    EXPECT_THROW(plan_alias_actions({}, {"a", "b"}, actions(R"({"actions":[
                                        {"add":{"index":"a","alias":"x","is_write_index":true}},
                                        {"add":{"index":"b","alias":"x","is_write_index":true}}]})")),
                 ApiError);
}

}  // namespace
}  // namespace kt::tools::standin
