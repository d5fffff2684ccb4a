#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lib/error.hpp"
#include "lib/es/index_scanner.hpp"
#include "workers/verify/comparison.hpp"

namespace kt::workers {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;

TEST(VerifyComparison, EqualSidesAreClean) {
    IndexComparison c;
    c.add_row("1", R"({"a": 1, "b": "x"})");
    c.add_row("2", R"({"a": 2})");
    c.add_document("2", R"({"a":2})");
    c.add_document("1", R"({"b":"x","a":1})");  // other key order and spacing: same value
    const VerifyReport r = c.finish();
    EXPECT_TRUE(r.clean());
    EXPECT_EQ(r.rows, 2U);
    EXPECT_EQ(r.documents, 2U);
}

TEST(VerifyComparison, FindsMissingExtraAndStaleSorted) {
    IndexComparison c;
    for (const char* id : {"10", "9", "3", "4", "sku"}) c.add_row(id, R"({"v":1})");
    c.add_document("3", R"({"v":1})");
    c.add_document("4", R"({"v":2})");
    c.add_document("sku", R"({"v":1,"w":null})");
    c.add_document("11", R"({"v":1})");
    c.add_document("100", R"({"v":1})");
    const VerifyReport r = c.finish();
    EXPECT_FALSE(r.clean());
    EXPECT_THAT(r.missing, ElementsAre("9", "10"));
    EXPECT_THAT(r.extra, ElementsAre("11", "100"));
    EXPECT_THAT(r.stale, ElementsAre("4", "sku"));
    EXPECT_EQ(r.rows, 5U);
    EXPECT_EQ(r.documents, 5U);
}

TEST(VerifyComparison, ReportsVersionsKtCouldNotHaveWrittenApartFromStale) {
    IndexComparison c(1000);  // PostgreSQL's transaction count before the index is read
    for (const char* id : {"1", "2", "3", "4", "5"}) c.add_row(id, R"({"v":1})");
    c.add_document("1", R"({"v":1})", 900LL * 65536);      // kt's own
    c.add_document("2", R"({"v":1})", 900LL * 65536 + 1);  // same content, one foreign write
    c.add_document("3", R"({"v":2})", 900LL * 65536 + 2);  // stale and foreign
    c.add_document("4", R"({"v":1})", 950);                 // unscaled: written by older kt
    c.add_document("5", R"({"v":1})", 9'000'000'000'000'000);  // its own external version
    const VerifyReport r = c.finish(1000);
    EXPECT_THAT(r.stale, ElementsAre("3"));
    ASSERT_EQ(r.foreign.size(), 3U);
    EXPECT_EQ(r.foreign[0].id, "2");
    EXPECT_EQ(r.foreign[0].version, 900LL * 65536 + 1);
    EXPECT_FALSE(r.foreign[0].ahead);
    EXPECT_EQ(r.foreign[1].id, "3");
    EXPECT_EQ(r.foreign[2].id, "5");
    EXPECT_TRUE(r.foreign[2].ahead);
    EXPECT_FALSE(r.clean());
}

TEST(VerifyComparison, AVersionAheadOfTheFirstCountIsKtsWhenTheDatabaseReachedItWhileReading) {
    IndexComparison c(1000);
    c.add_row("1", R"({"v":1})");
    c.add_row("2", R"({"v":1})");
    c.add_document("1", R"({"v":1})", 1005LL * 65536);  // kt-indexer wrote it during the scan
    c.add_document("2", R"({"v":1})", 1200LL * 65536);  // the database never reached 1200
    const VerifyReport r = c.finish(1010);
    ASSERT_EQ(r.foreign.size(), 1U);
    EXPECT_EQ(r.foreign[0].id, "2");
    EXPECT_TRUE(r.foreign[0].ahead);
}

TEST(VerifyComparison, WithoutATransactionCountVersionsAreNotRead) {
    IndexComparison c;
    c.add_row("1", R"({"v":1})");
    c.add_document("1", R"({"v":1})", 7);
    EXPECT_TRUE(c.finish().clean());
}

TEST(VerifyComparison, NestedValuesAndTypesCount) {
    IndexComparison c;
    c.add_row("1", R"({"o":{"y":[1,2],"x":"a"}})");
    c.add_row("2", R"({"n":1})");
    c.add_document("1", R"({"o":{"x":"a","y":[1,2]}})");
    c.add_document("2", R"({"n":"1"})");
    const VerifyReport r = c.finish();
    EXPECT_TRUE(r.missing.empty());
    EXPECT_THAT(r.stale, ElementsAre("2"));
}

TEST(VerifyComparison, CanonicalJsonSortsKeysAndKeepsNonJson) {
    EXPECT_EQ(canonical_json(R"({ "b" : 1, "a" : [ true, null ] })"), R"({"a":[true,null],"b":1})");
    EXPECT_EQ(canonical_json("not json"), "not json");
}

/// Answers requests in order from a script; records them.
class ScriptedTransport final : public es::Transport {
public:
    std::function<es::Response(const es::Request&)> handler;
    std::vector<es::Request> requests;
    es::Response perform(const es::Request& request) override {
        requests.push_back(request);
        return handler(request);
    }
};

es::Response ok(const json& body) {
    return es::Response{200, body.dump(), {}};
}

json hits_page(int from, int count) {
    json hits = json::array();
    for (int i = from; i < from + count; ++i) {
        hits.push_back({{"_id", std::to_string(i)},
                        {"_version", 65536 * (100 + i)},
                        {"_source", {{"n", i}}},
                        {"sort", {i}}});
    }
    return {{"pit_id", "pit-2"}, {"hits", {{"hits", hits}}}};
}

TEST(VerifyIndexScanner, PagesWithSearchAfterAndClosesThePointInTime) {
    ScriptedTransport t;
    int searches = 0;
    t.handler = [&](const es::Request& r) -> es::Response {
        if (r.target.rfind("/idx/_pit?keep_alive=", 0) == 0) return ok({{"id", "pit-1"}});
        if (r.target == "/_search") {
            ++searches;
            if (searches == 1) return ok(hits_page(0, 2));
            if (searches == 2) return ok(hits_page(2, 2));
            return ok(hits_page(0, 0));
        }
        if (r.method == es::Method::kDelete && r.target == "/_pit")
            return ok({{"succeeded", true}});
        return es::Response{404, "{}", {}};
    };
    es::IndexScanner scanner(t, es::ScanOptions{2, "1m"});
    std::vector<std::string> ids;
    std::vector<std::int64_t> versions;
    const std::size_t n = scanner.scan("idx", [&](std::span<const es::ScannedDocument> page) {
        for (const auto& d : page) {
            ids.push_back(d.id + "=" + d.source);
            versions.push_back(d.version.value_or(-1));
        }
    });
    EXPECT_EQ(n, 4U);
    EXPECT_THAT(ids, ElementsAre(R"(0={"n":0})", R"(1={"n":1})", R"(2={"n":2})", R"(3={"n":3})"));
    ASSERT_EQ(t.requests.size(), 5U);  // open, 3 pages (the last one empty), close
    const json first = json::parse(t.requests[1].body);
    EXPECT_EQ(first["pit"]["id"], "pit-1");
    EXPECT_FALSE(first.contains("search_after"));
    EXPECT_FALSE(first.contains("from"));
    EXPECT_EQ(first["sort"], json::parse(R"([{"_shard_doc":"asc"}])"));
    EXPECT_EQ(first["version"], true);  // each hit's _version, to tell kt's writes from others'
    EXPECT_THAT(versions, ElementsAre(65536 * 100, 65536 * 101, 65536 * 102, 65536 * 103));
    const json second = json::parse(t.requests[2].body);
    EXPECT_EQ(second["pit"]["id"], "pit-2");  // the id of the latest answer
    EXPECT_EQ(second["search_after"], json::array({1}));
    EXPECT_EQ(t.requests[4].method, es::Method::kDelete);
    EXPECT_EQ(json::parse(t.requests[4].body)["id"], "pit-2");
}

TEST(VerifyIndexScanner, ClosesThePointInTimeWhenASearchFails) {
    ScriptedTransport t;
    t.handler = [&](const es::Request& r) -> es::Response {
        if (r.target.rfind("/idx/_pit", 0) == 0) return ok({{"id", "pit-1"}});
        if (r.target == "/_search") {
            return es::Response{500, R"({"error":{"type":"boom","reason":"x"}})", {}};
        }
        return ok({{"succeeded", true}});
    };
    es::IndexScanner scanner(t);
    EXPECT_THROW((void)scanner.scan("idx", [](std::span<const es::ScannedDocument>) {}), EsError);
    ASSERT_EQ(t.requests.size(), 3U);
    EXPECT_EQ(t.requests.back().method, es::Method::kDelete);
    EXPECT_EQ(t.requests.back().target, "/_pit");
}

TEST(VerifyIndexScanner, AServerWithoutPointInTimeIsReadWithAScrollThenCleared) {
    // OpenSearch answers /_pit with `no handler found` (its point in time lives elsewhere).
    ScriptedTransport t;
    int scrolls = 0;
    t.handler = [&](const es::Request& r) -> es::Response {
        if (r.target.rfind("/idx/_pit", 0) == 0) {
            return es::Response{
                400, R"({"error":"no handler found for uri [/idx/_pit] and method [POST]"})", {}};
        }
        if (r.target == "/idx/_search?scroll=1m") {
            json page = hits_page(0, 2);
            page["_scroll_id"] = "s-1";
            return ok(page);
        }
        if (r.method == es::Method::kPost && r.target == "/_search/scroll") {
            ++scrolls;
            json page = hits_page(2, scrolls == 1 ? 2 : 0);
            page["_scroll_id"] = "s-" + std::to_string(scrolls + 1);
            return ok(page);
        }
        if (r.method == es::Method::kDelete && r.target == "/_search/scroll") {
            return ok({{"succeeded", true}});
        }
        return es::Response{404, "{}", {}};
    };
    es::IndexScanner scanner(t, es::ScanOptions{2, "1m"});
    std::vector<std::string> ids;
    std::vector<std::int64_t> versions;
    const auto collect = [&](std::span<const es::ScannedDocument> page) {
        for (const auto& d : page) {
            ids.push_back(d.id);
            versions.push_back(d.version.value_or(-1));
        }
    };
    EXPECT_EQ(scanner.scan("idx", collect), 4U);
    EXPECT_THAT(ids, ElementsAre("0", "1", "2", "3"));
    EXPECT_THAT(versions, ElementsAre(65536 * 100, 65536 * 101, 65536 * 102, 65536 * 103));
    ASSERT_EQ(t.requests.size(), 5U);  // pit refused, scroll start, 2 scroll pages, clear
    const json first = json::parse(t.requests[1].body);
    EXPECT_EQ(first["sort"], json::parse(R"(["_doc"])"));
    EXPECT_EQ(first["version"], true);
    EXPECT_FALSE(first.contains("track_total_hits"));  // refused in a scroll context
    EXPECT_EQ(json::parse(t.requests[2].body),
              json::parse(R"({"scroll":"1m","scroll_id":"s-1"})"));
    EXPECT_EQ(json::parse(t.requests[3].body)["scroll_id"], "s-2");
    EXPECT_EQ(t.requests[4].method, es::Method::kDelete);
    EXPECT_EQ(json::parse(t.requests[4].body)["scroll_id"], "s-3");

    // The scanner remembers: the next scan goes straight to a scroll.
    t.requests.clear();
    scrolls = 0;
    ids.clear();
    EXPECT_EQ(scanner.scan("idx", collect), 4U);
    EXPECT_EQ(t.requests.front().target, "/idx/_search?scroll=1m");
}

TEST(VerifyIndexScanner, AMissingIndexIsAnErrorNotAReasonToScroll) {
    ScriptedTransport t;
    t.handler = [&](const es::Request&) -> es::Response {
        return es::Response{
            404,
            R"({"error":{"type":"index_not_found_exception","reason":"no such index [idx]"},)"
            R"("status":404})",
            {}};
    };
    es::IndexScanner scanner(t);
    try {
        (void)scanner.scan("idx", [](std::span<const es::ScannedDocument>) {});
        FAIL() << "no error";
    } catch (const EsError& e) {
        EXPECT_EQ(e.status(), 404);
        EXPECT_EQ(e.type(), "index_not_found_exception");
    }
    EXPECT_EQ(t.requests.size(), 1U);
}

}  // namespace
}  // namespace kt::workers
