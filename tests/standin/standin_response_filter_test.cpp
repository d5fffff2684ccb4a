#include <gtest/gtest.h>

#include <regex>

#include "tools/es-standin/response_filter.hpp"
#include "tools/es-standin/router.hpp"

namespace kt::tools::standin {
namespace {

const Json kBulk = Json::parse(R"({
  "took": 3, "errors": true,
  "items": [
    {"index": {"_index": "i", "_id": "1", "_version": 7, "result": "created",
               "_shards": {"total": 1, "successful": 1, "failed": 0}, "status": 201}},
    {"index": {"_index": "i", "_id": "2", "status": 400,
               "error": {"type": "document_parsing_exception", "reason": "bad", "caused_by": {}}}},
    {"delete": {"_index": "i", "_id": "3", "_version": 8, "result": "not_found", "status": 404}}
  ]})");

Json filtered(std::string_view spec, const Json& value = kBulk) {
    return Json::parse(ResponseFilter(spec).apply(value.dump()));
}

TEST(StandinResponseFilter, KeepsOnlyTheMatchedPathsOfEveryArrayElement) {
    EXPECT_EQ(filtered("errors,items.*.status,items.*.error.type,items.*.error.reason"),
              Json::parse(R"({"errors": true, "items": [
                  {"index": {"status": 201}},
                  {"index": {"status": 400,
                             "error": {"type": "document_parsing_exception", "reason": "bad"}}},
                  {"delete": {"status": 404}}]})"));
}

TEST(StandinResponseFilter, ElementsWithNothingMatchedAreLeftOut) {
    // Elasticsearch's documented way to see only failed bulk items.
    EXPECT_EQ(filtered("items.*.error.type"), Json::parse(R"({"items": [{"index": {"error": {
                  "type": "document_parsing_exception"}}}]})"));
    EXPECT_EQ(filtered("items.*.error", Json::parse(R"({"errors": false, "items": [
                  {"index": {"_id": "1", "status": 201}}]})")),
              Json::object());
}

TEST(StandinResponseFilter, WildcardsWithinANameAndAcrossLevels) {
    EXPECT_EQ(filtered("items.index._shards.f*"),
              Json::parse(R"({"items": [{"index": {"_shards": {"failed": 0}}}]})"));
    EXPECT_EQ(filtered("**._id"), Json::parse(R"({"items": [{"index": {"_id": "1"}},
                  {"index": {"_id": "2"}}, {"delete": {"_id": "3"}}]})"));
    EXPECT_EQ(filtered("took,nothing.here"), Json::parse(R"({"took": 3})"));
    // A whole matched object is kept with everything under it.
    EXPECT_EQ(filtered("items.*.error").at("items").at(0).at("index").at("error").size(), 3u);
}

TEST(StandinResponseFilter, ExclusionsRemoveAfterInclusions) {
    const Json only_excluded = filtered("-items,-took");
    EXPECT_EQ(only_excluded, Json::parse(R"({"errors": true})"));
    EXPECT_EQ(filtered("items.*.error,-items.*.error.caused_by"),
              Json::parse(R"({"items": [{"index": {"error": {
                  "type": "document_parsing_exception", "reason": "bad"}}}]})"));
}

TEST(StandinResponseFilter, RouterFiltersSuccessAndErrorAnswers) {
    Router router;
    ASSERT_EQ(router.handle({"PUT", {"i"}, {}, ""}).status, 200);
    const ApiResponse bulk =
        router.handle({"POST",
                       {"i", "_bulk"},
                       {{"filter_path", "errors,items.*.status"}},
                       "{\"index\":{\"_id\":\"1\"}}\n{\"a\":1}\n{\"delete\":{\"_id\":\"2\"}}\n"});
    EXPECT_EQ(bulk.status, 200);
    EXPECT_EQ(Json::parse(bulk.body), Json::parse(R"({"errors": false, "items": [
                  {"index": {"status": 201}}, {"delete": {"status": 404}}]})"));

    const ApiResponse missing =
        router.handle({"GET", {"nope", "_doc", "1"}, {{"filter_path", "error.type,status"}}, ""});
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(Json::parse(missing.body),
              Json::parse(R"({"error": {"type": "index_not_found_exception"}, "status": 404})"));
}

TEST(StandinResponseFilter, BulkAnswerWrittenThroughTheFilterEqualsTheFilteredAnswer) {
    // The bulk answer is written member by member under filter_path; it must be exactly the
    // full answer filtered (`took` left out: it differs between runs).
    const std::string body =
        "{\"index\":{\"_id\":\"1\",\"version\":5,\"version_type\":\"external\"}}\n{\"a\":1}\n"
        "{\"index\":{\"_id\":\"1\",\"version\":3,\"version_type\":\"external\"}}\n{\"a\":2}\n"
        "{\"delete\":{\"_id\":\"2\"}}\n"
        "{\"create\":{\"_id\":\"3\"}}\n{\"b\":true}\n"
        "{\"update\":{\"_id\":\"3\",\"_source\":true}}\n{\"doc\":{\"b\":false}}\n";
    for (const std::string spec :
         {"errors,items.*.status,items.*.error.type,items.*.error.reason", "items.*.error",
          "items.index._id,items.delete.result", "-took,-items.*._shards", "items.*._shards.f*",
          "items,-items.*.get", "errors", "nothing", "**.status,-took"}) {
        SCOPED_TRACE(spec);
        Router full;
        Router filtered;
        ASSERT_EQ(full.handle({"PUT", {"i"}, {}, ""}).status, 200);
        ASSERT_EQ(filtered.handle({"PUT", {"i"}, {}, ""}).status, 200);
        const ApiResponse expected = full.handle({"POST", {"i", "_bulk"}, {}, body});
        const ApiResponse actual =
            filtered.handle({"POST", {"i", "_bulk"}, {{"filter_path", spec}}, body});
        ASSERT_EQ(expected.status, 200);
        EXPECT_EQ(actual.status, 200);
        // Each router's index has its own random uuid.
        const std::regex uuid(R"("index_uuid":"[^"]*")");
        Json want = Json::parse(std::regex_replace(ResponseFilter(spec).apply(expected.body), uuid,
                                                   R"("index_uuid":"")"));
        Json got = Json::parse(std::regex_replace(actual.body, uuid, R"("index_uuid":"")"));
        want.erase("took");
        got.erase("took");
        EXPECT_EQ(got, want);
    }
}

}  // namespace
}  // namespace kt::tools::standin
