#include <gtest/gtest.h>

#include <string>

#include "lib/error.hpp"
#include "lib/es/bulk_response.hpp"

namespace kt::es {
namespace {

TEST(ClassifyItem, AppliesTheOutcomeRules) {
    EXPECT_EQ(classify_item(false, 200, ""), Outcome::kDone);
    EXPECT_EQ(classify_item(false, 201, ""), Outcome::kDone);
    EXPECT_EQ(classify_item(false, 409, "version_conflict_engine_exception"), Outcome::kDone);
    EXPECT_EQ(classify_item(true, 409, "version_conflict_engine_exception"), Outcome::kDone);
    EXPECT_EQ(classify_item(true, 404, ""), Outcome::kDone);
    EXPECT_EQ(classify_item(false, 404, ""), Outcome::kDead);
    EXPECT_EQ(classify_item(true, 404, "index_not_found_exception"), Outcome::kDead);
    EXPECT_EQ(classify_item(false, 429, "es_rejected_execution_exception"), Outcome::kRetry);
    EXPECT_EQ(classify_item(false, 500, ""), Outcome::kRetry);
    EXPECT_EQ(classify_item(false, 503, "unavailable_shards_exception"), Outcome::kRetry);
    EXPECT_EQ(classify_item(false, 400, "mapper_parsing_exception"), Outcome::kDead);
    EXPECT_EQ(classify_item(false, 409, "other_conflict"), Outcome::kDead);
}

TEST(TargetFault, NamesErrorsOfTheIndexOrClusterAndNoDocumentError) {
    EXPECT_TRUE(target_fault(404, "index_not_found_exception", "no such index [x]"));
    EXPECT_TRUE(target_fault(400, "index_closed_exception", "closed"));
    EXPECT_TRUE(target_fault(403, "cluster_block_exception", "blocked by: [FORBIDDEN/8/...]"));
    EXPECT_TRUE(target_fault(429, "cluster_block_exception", "read_only_allow_delete"));
    EXPECT_TRUE(target_fault(403, "some_exception", "denied"));
    EXPECT_TRUE(target_fault(401, "", ""));
    EXPECT_TRUE(target_fault(400, "illegal_argument_exception",
                             "no write index is defined for alias [a]. The write index ..."));
    EXPECT_TRUE(target_fault(400, "illegal_argument_exception",
                             "Alias [a] has more than one indices associated with it [[b, c]], "
                             "can't execute a single index op"));
    EXPECT_FALSE(target_fault(400, "illegal_argument_exception",
                              "Limit of total fields [1000] has been exceeded"));
    EXPECT_FALSE(target_fault(400, "mapper_parsing_exception", "failed to parse"));
    EXPECT_FALSE(target_fault(400, "document_parsing_exception", "failed to parse"));
    EXPECT_FALSE(target_fault(400, "strict_dynamic_mapping_exception", "not allowed"));
    EXPECT_FALSE(target_fault(409, "version_conflict_engine_exception", "current version [5]"));
    EXPECT_FALSE(target_fault(503, "unavailable_shards_exception", "retry"));
    EXPECT_FALSE(target_fault(503, "cluster_block_exception",
                              "blocked by: [SERVICE_UNAVAILABLE/1/state not recovered];"));
    EXPECT_FALSE(target_fault(201, "", ""));
}

TEST(ParseBulkResponse, FastPathWhenNoErrors) {
    const std::string body =
        R"({"took":3,"errors":false,"items":[{"index":{"_id":"1","status":201}},)"
        R"({"delete":{"_id":"2","result":"not_found","status":404}}]})";
    const auto items = parse_bulk_response(body, 2);
    ASSERT_EQ(items.size(), 2U);
    for (const auto& item : items) EXPECT_EQ(item.outcome, Outcome::kDone);
}

TEST(ParseBulkResponse, FastPathStillChecksItemCount) {
    const std::string body = R"({"errors":false,"items":[{"index":{"status":201}}]})";
    EXPECT_THROW((void)parse_bulk_response(body, 2), kt::Error);
}

TEST(ParseBulkResponse, EachRuleInItemOrder) {
    const std::string body = R"({"took":1,"errors":true,"items":[
      {"index":{"_index":"i","_id":"1","_version":1,"result":"created","status":201}},
      {"index":{"_id":"2","status":409,"error":{"type":"version_conflict_engine_exception",
        "reason":"[2]: version conflict, current version [5] is higher"}}},
      {"delete":{"_id":"3","result":"not_found","status":404}},
      {"index":{"_id":"4","status":429,"error":{"type":"es_rejected_execution_exception",
        "reason":"rejected"}}},
      {"index":{"_id":"5","status":503,"error":{"type":"unavailable_shards_exception","reason":"x"}}},
      {"index":{"_id":"6","status":400,"error":{"type":"mapper_parsing_exception",
        "reason":"failed to parse field [n]","caused_by":{"type":"x","reason":"y"}}}}
    ]})";
    const auto items = parse_bulk_response(body, 6);
    ASSERT_EQ(items.size(), 6U);
    EXPECT_EQ(items[0].outcome, Outcome::kDone);
    EXPECT_EQ(items[0].status, 201);
    EXPECT_EQ(items[1].outcome, Outcome::kDone);
    EXPECT_EQ(items[1].error_type, "version_conflict_engine_exception");
    EXPECT_EQ(items[2].outcome, Outcome::kDone);
    EXPECT_EQ(items[3].outcome, Outcome::kRetry);
    EXPECT_EQ(items[3].status, 429);
    EXPECT_EQ(items[4].outcome, Outcome::kRetry);
    EXPECT_EQ(items[5].outcome, Outcome::kDead);
    EXPECT_EQ(items[5].status, 400);
    EXPECT_EQ(items[5].error_type, "mapper_parsing_exception");
    EXPECT_EQ(items[5].error_reason, "failed to parse field [n]");
}

TEST(ParseBulkResponse, ErrorsFieldAfterItemsIsFound) {
    const std::string body =
        R"({"items":[{"index":{"status":400,"error":{"type":"t","reason":"r"}}}],"errors":true})";
    const auto items = parse_bulk_response(body, 1);
    ASSERT_EQ(items.size(), 1U);
    EXPECT_EQ(items[0].outcome, Outcome::kDead);
    EXPECT_EQ(items[0].error_type, "t");
}

TEST(ParseBulkResponse, FilteredResponseShapeParses) {
    const std::string body =
        R"({"errors":true,"items":[{"index":{"status":201}},{"index":{"status":429,)"
        R"("error":{"type":"es_rejected_execution_exception","reason":"busy"}}}]})";
    const auto items = parse_bulk_response(body, 2);
    EXPECT_EQ(items[0].outcome, Outcome::kDone);
    EXPECT_EQ(items[1].outcome, Outcome::kRetry);
    EXPECT_EQ(items[1].error_reason, "busy");
}

TEST(ParseBulkResponse, MalformedAnswersThrow) {
    const char* cases[] = {
        "",
        "not json",
        "[]",
        R"({"errors":true})",
        R"({"items":[]})",
        R"({"errors":true,"items":[{"index":{"_id":"1"}}]})",
        R"({"errors":true,"items":[{"index":{"status":"x"}}]})",
        R"({"errors":true,"items":[{"index":{"status":201}},{"index":{"status":201}}]})",
        R"({"errors":true,"items":[{"index":{"status":201}})",
        R"({"errors":true,"items":[]})",
    };
    for (const char* body : cases) {
        EXPECT_THROW((void)parse_bulk_response(body, 1), kt::Error) << body;
    }
}

}  // namespace
}  // namespace kt::es
