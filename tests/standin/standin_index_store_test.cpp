#include <gtest/gtest.h>

#include "tools/es-standin/index_store.hpp"

namespace kt::tools::standin {
namespace {

/// A clock the test moves by hand.
struct ManualClock {
    std::chrono::steady_clock::time_point now{};
    Clock clock() {
        return [this] { return now; };
    }
};

WriteConditions external(int64_t version, WriteOp op) {
    WriteConditions c;
    c.op = op;
    c.version = version;
    c.version_type = VersionType::kExternal;
    return c;
}

WriteOutcome put(IndexStore& store, const std::string& id, const std::string& source,
                 const WriteConditions& c) {
    return store.index(id, source, inspect_source(source), c);
}

TEST(StandinIndexStore, ExternalDeleteTombstoneRejectsOlderVersionUntilGc) {
    ManualClock time;
    IndexStore store("t", {}, Json::object(), time.clock());
    ASSERT_FALSE(put(store, "1", R"({"a":1})", external(5, WriteOp::kIndex)).error);
    const auto deleted = store.remove("1", external(7, WriteOp::kDelete));
    ASSERT_FALSE(deleted.error);
    EXPECT_EQ(deleted.result, "deleted");
    EXPECT_EQ(deleted.version, 7);

    time.now += std::chrono::seconds(59);
    const auto stale = put(store, "1", R"({"a":2})", external(6, WriteOp::kIndex));
    ASSERT_TRUE(stale.error);
    EXPECT_EQ(stale.error->status(), 409);
    EXPECT_EQ(stale.error->type(), "version_conflict_engine_exception");

    time.now += std::chrono::seconds(2);
    const auto accepted = put(store, "1", R"({"a":2})", external(6, WriteOp::kIndex));
    ASSERT_FALSE(accepted.error);
    EXPECT_EQ(accepted.result, "created");
    EXPECT_EQ(accepted.version, 6);
}

TEST(StandinIndexStore, DeleteOfMissingDocumentIsNotFound) {
    ManualClock time;
    IndexStore store("t", {}, Json::object(), time.clock());
    const auto out = store.remove("nope", WriteConditions{WriteOp::kDelete, {}, {}, {}, {}});
    EXPECT_FALSE(out.error);
    EXPECT_EQ(out.result, "not_found");
    EXPECT_EQ(out.status, 404);
}

TEST(StandinIndexStore, SearchSeesDocumentsOnlyAfterRefresh) {
    ManualClock time;
    IndexStore store("t", {{"index.refresh_interval", "1s"}}, Json::object(), time.clock());
    ASSERT_FALSE(put(store, "1", R"({"a":1})", WriteConditions{}).error);
    EXPECT_EQ(store.searchable()->size(), 0u);
    EXPECT_NE(store.get("1"), nullptr);  // realtime get
    time.now += std::chrono::milliseconds(500);
    store.refresh_if_due();
    EXPECT_EQ(store.searchable()->size(), 0u);
    time.now += std::chrono::milliseconds(600);
    store.refresh_if_due();
    EXPECT_EQ(store.searchable()->size(), 1u);
}

TEST(StandinIndexStore, RefreshIntervalMinusOneDisablesAutomaticRefresh) {
    ManualClock time;
    IndexStore store("t", {{"index.refresh_interval", "-1"}}, Json::object(), time.clock());
    ASSERT_FALSE(put(store, "1", R"({"a":1})", WriteConditions{}).error);
    time.now += std::chrono::hours(1);
    store.refresh_if_due();
    EXPECT_EQ(store.searchable()->size(), 0u);
    store.refresh();
    EXPECT_EQ(store.searchable()->size(), 1u);
}

TEST(StandinIndexStore, StrictMappingRejectsUnknownTopLevelField) {
    ManualClock time;
    IndexStore store("t", {},
                     Json::parse(R"({"dynamic":"strict","properties":{"a":{"type":"long"}}})"),
                     time.clock());
    EXPECT_FALSE(put(store, "1", R"({"a":1})", WriteConditions{}).error);
    const auto rejected = put(store, "2", R"({"a":1,"b":2})", WriteConditions{});
    ASSERT_TRUE(rejected.error);
    EXPECT_EQ(rejected.error->status(), 400);
    EXPECT_EQ(rejected.error->type(), "strict_dynamic_mapping_exception");
    EXPECT_NE(rejected.error->reason().find("dynamic introduction of [b] within [_doc]"),
              std::string::npos);
}

TEST(StandinIndexStore, NonObjectSourceIsRejected) {
    ManualClock time;
    IndexStore store("t", {}, Json::object(), time.clock());
    const auto rejected = put(store, "1", "[1,2]", WriteConditions{});
    ASSERT_TRUE(rejected.error);
    EXPECT_EQ(rejected.error->status(), 400);
}

TEST(StandinIndexStore, UpdateWithSameDocIsNoop) {
    ManualClock time;
    IndexStore store("t", {}, Json::object(), time.clock());
    ASSERT_FALSE(put(store, "1", R"({"a":1,"o":{"x":1}})", WriteConditions{}).error);
    UpdateSpec same;
    same.doc = Json::parse(R"({"o":{"x":1}})");
    EXPECT_EQ(store.update("1", same).result, "noop");
    UpdateSpec change;
    change.doc = Json::parse(R"({"o":{"y":2}})");
    const auto updated = store.update("1", change);
    EXPECT_EQ(updated.result, "updated");
    EXPECT_EQ(updated.version, 2);
    EXPECT_EQ(Json::parse(updated.doc->source)["o"], Json::parse(R"({"x":1,"y":2})"));
    UpdateSpec missing;
    missing.doc = Json::parse(R"({"a":1})");
    const auto absent = store.update("2", missing);
    ASSERT_TRUE(absent.error);
    EXPECT_EQ(absent.error->type(), "document_missing_exception");
}

}  // namespace
}  // namespace kt::tools::standin
