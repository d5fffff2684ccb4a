#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "lib/error.hpp"
#include "lib/es/bulk_body.hpp"

namespace kt::es {
namespace {

using Op = BulkAction::Op;

std::vector<std::string> lines_of(const std::string& body) {
    std::vector<std::string> lines;
    std::istringstream in(body);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

TEST(BuildBulkBody, IndexLinePlusVerbatimSource) {
    const std::vector<BulkAction> actions{{Op::kIndex, "1", R"({"title":"a",  "n":1})", {}}};
    EXPECT_EQ(build_bulk_body(actions),
              "{\"index\":{\"_id\":\"1\"}}\n{\"title\":\"a\",  \"n\":1}\n");
}

TEST(BuildBulkBody, DeleteHasNoSourceLine) {
    const std::vector<BulkAction> actions{{Op::kDelete, "7", "ignored", {}},
                                          {Op::kIndex, "8", "{}", {}}};
    EXPECT_EQ(build_bulk_body(actions),
              "{\"delete\":{\"_id\":\"7\"}}\n{\"index\":{\"_id\":\"8\"}}\n{}\n");
}

TEST(BuildBulkBody, VersionUsesExternalGte) {
    const std::vector<BulkAction> actions{{Op::kIndex, "1", "{}", 42},
                                          {Op::kDelete, "2", {}, 9000000000LL}};
    const auto lines = lines_of(build_bulk_body(actions));
    ASSERT_EQ(lines.size(), 3U);
    const auto first = nlohmann::json::parse(lines[0]);
    EXPECT_EQ(first["index"]["version"], 42);
    EXPECT_EQ(first["index"]["version_type"], "external_gte");
    const auto third = nlohmann::json::parse(lines[2]);
    EXPECT_EQ(third["delete"]["version"], 9000000000LL);
    EXPECT_EQ(third["delete"]["version_type"], "external_gte");
}

TEST(BuildBulkBody, EscapesIdsSoEveryActionLineIsValidJson) {
    const std::string nasty = std::string("a\"b\\c\nd\te") + '\x01' + "é";
    const std::vector<BulkAction> actions{{Op::kDelete, nasty, {}, {}}};
    const auto lines = lines_of(build_bulk_body(actions));
    ASSERT_EQ(lines.size(), 1U);
    const auto parsed = nlohmann::json::parse(lines[0]);
    EXPECT_EQ(parsed["delete"]["_id"], nasty);
}

TEST(BuildBulkBody, LineBreaksInsideSourceBecomeSpaces) {
    const std::vector<BulkAction> actions{{Op::kIndex, "1", "{\n  \"a\": \"x\\ny\"\r\n}", {}}};
    const auto lines = lines_of(build_bulk_body(actions));
    ASSERT_EQ(lines.size(), 2U);
    EXPECT_EQ(nlohmann::json::parse(lines[1])["a"], "x\ny");
}

TEST(BuildBulkBody, EmptySourceForIndexIsAnError) {
    const std::vector<BulkAction> actions{{Op::kIndex, "1", "", {}}};
    EXPECT_THROW((void)build_bulk_body(actions), kt::Error);
}

TEST(BuildBulkBody, EmptyBatchIsEmptyBody) {
    EXPECT_EQ(build_bulk_body({}), "");
}

}  // namespace
}  // namespace kt::es
