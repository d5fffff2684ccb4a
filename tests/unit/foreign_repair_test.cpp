#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "workers/common/doc_version.hpp"
#include "workers/indexer/foreign_repair.hpp"

namespace kt::workers {
namespace {

using Op = es::BulkAction::Op;
using ::testing::ElementsAre;

/// A database of rows and a transaction count, and an index with external_gte versions, as
/// far as a repair sees them.
struct World {
    std::map<std::string, std::string> rows;
    std::int64_t count = 10;
    struct Doc {
        std::int64_t version = 0;
        std::string source;
    };
    std::map<std::string, Doc> docs;
    /// Ids another writer writes again (version + 1 over kt's) just before each kt write.
    std::vector<std::string> racing;
    std::vector<std::string> calls;  ///< "advance", "load", "write"
    bool stop_writes = false;

    pg::LoadResult load(const std::vector<std::string>& ids) {
        calls.emplace_back("load");
        pg::LoadResult out;
        out.version = count;
        for (const std::string& id : ids) {
            const auto it = rows.find(id);
            if (it != rows.end()) out.rows.push_back({it->first, it->second});
        }
        return out;
    }

    es::WriteResult write(std::span<const es::BulkAction> actions) {
        calls.emplace_back("write");
        es::WriteResult out;
        if (stop_writes) {
            out.items.resize(actions.size());
            out.stopped = true;
            return out;
        }
        for (const es::BulkAction& action : actions) {
            const std::string id(action.id);
            const std::int64_t version = action.version.value_or(0);
            for (const std::string& racer : racing) {
                if (racer == id) docs[id] = {version + 1, R"({"by":"someone else"})"};
            }
            es::ItemResult item;
            item.outcome = es::Outcome::kDone;
            const auto it = docs.find(id);
            if (it != docs.end() && it->second.version > version) {
                item.status = 409;
                item.error_type = "version_conflict_engine_exception";
                item.error_reason = "[" + id + "]: version conflict, current version [" +
                                    std::to_string(it->second.version) +
                                    "] is higher than the one provided [" +
                                    std::to_string(version) + "]";
            } else if (action.op == Op::kDelete) {
                item.status = it == docs.end() ? 404 : 200;
                if (it != docs.end()) docs.erase(it);
            } else {
                item.status = 201;
                docs[id] = {version, std::string(action.source)};
            }
            out.items.push_back(item);
        }
        return out;
    }

    RepairIo io() {
        return RepairIo{[this] {
                            calls.emplace_back("advance");
                            ++count;
                        },
                        [this](const std::vector<std::string>& ids) { return load(ids); },
                        [this](std::span<const es::BulkAction> actions) { return write(actions); }};
    }
};

TEST(ForeignRepair, ADocumentAnotherWriterChangedIsRewrittenFromANewerSnapshot) {
    World world;
    world.rows = {{"1", R"({"n":1})"}};
    // kt wrote "1" at count 10; a plain index request then made it version 10 × 2^16 + 1.
    world.docs["1"] = {external_version(10) + 1, R"({"n":"hand edit"})"};

    const RepairResult result = repair_documents({"1"}, world.io());

    EXPECT_EQ(result.indexed, 1U);
    EXPECT_TRUE(result.left.empty());
    EXPECT_FALSE(result.stopped);
    EXPECT_EQ(world.docs["1"].source, R"({"n":1})");
    EXPECT_EQ(world.docs["1"].version, external_version(11));
    // The transaction comes first, so the load's snapshot is newer than kt's earlier ones.
    EXPECT_THAT(world.calls, ElementsAre("advance", "load", "write"));
}

TEST(ForeignRepair, WithoutTheAdvanceTheSameSnapshotCountLosesToTheForeignIncrement) {
    // Why the repair commits first: at an unchanged count kt's version is below the foreign one.
    World world;
    world.rows = {{"1", R"({"n":1})"}};
    world.docs["1"] = {external_version(10) + 1, R"({"n":"hand edit"})"};
    RepairIo io = world.io();
    io.advance = [] {};
    const RepairResult result = repair_documents({"1"}, io, 1);
    ASSERT_EQ(result.left.size(), 1U);
    EXPECT_EQ(result.left[0].id, "1");
    EXPECT_EQ(result.left[0].version, external_version(10) + 1);
    EXPECT_FALSE(result.left[0].ahead);
    EXPECT_EQ(world.docs["1"].source, R"({"n":"hand edit"})");
}

TEST(ForeignRepair, AConflictWithANewerVersionOfKtsOwnIsDoneAndKeepsThatDocument) {
    World world;
    world.rows = {{"1", R"({"n":"old"})"}};
    // Another kt worker wrote a newer state from count 50 (kt's scale, no foreign writes).
    world.docs["1"] = {external_version(50), R"({"n":"newer"})"};
    const RepairResult result = repair_documents({"1"}, world.io());
    EXPECT_TRUE(result.left.empty());
    EXPECT_EQ(world.docs["1"].source, R"({"n":"newer"})");
    EXPECT_EQ(std::count(world.calls.begin(), world.calls.end(), "advance"), 1);
}

TEST(ForeignRepair, ADocumentWhoseRowIsGoneIsDeleted) {
    World world;
    world.docs["9"] = {external_version(10) + 2, R"({"n":9})"};
    const RepairResult result = repair_documents({"9"}, world.io());
    EXPECT_EQ(result.deleted, 1U);
    EXPECT_EQ(result.indexed, 0U);
    EXPECT_EQ(world.docs.count("9"), 0U);
}

TEST(ForeignRepair, AWriterRacingEveryRoundIsLeftAfterTheLastRoundAndNotAhead) {
    World world;
    world.rows = {{"1", R"({"n":1})"}, {"2", R"({"n":2})"}};
    world.docs["1"] = {external_version(10) + 1, "{}"};
    world.docs["2"] = {external_version(10) + 1, "{}"};
    world.racing = {"2"};
    const RepairResult result = repair_documents({"1", "2"}, world.io(), 3);
    EXPECT_EQ(result.indexed, 1U);  // "1" in the first round
    ASSERT_EQ(result.left.size(), 1U);
    EXPECT_EQ(result.left[0].id, "2");
    EXPECT_FALSE(result.left[0].ahead);
    EXPECT_EQ(std::count(world.calls.begin(), world.calls.end(), "advance"), 3);
    EXPECT_EQ(world.docs["1"].source, R"({"n":1})");
}

TEST(ForeignRepair, AnExternalVersionAheadOfTheDatabaseIsLeftAsAhead) {
    World world;
    world.rows = {{"5", R"({"n":5})"}};
    world.docs["5"] = {9'000'000'000'000'000, R"({"n":"far ahead"})"};
    const RepairResult result = repair_documents({"5"}, world.io(), 2);
    ASSERT_EQ(result.left.size(), 1U);
    EXPECT_EQ(result.left[0].id, "5");
    EXPECT_EQ(result.left[0].version, 9'000'000'000'000'000);
    EXPECT_TRUE(result.left[0].ahead);
    EXPECT_EQ(result.indexed, 0U);
}

TEST(ForeignRepair, AStoppedWriteStopsTheRepair) {
    World world;
    world.rows = {{"1", R"({"n":1})"}};
    world.docs["1"] = {external_version(10) + 1, "{}"};
    world.stop_writes = true;
    const RepairResult result = repair_documents({"1"}, world.io());
    EXPECT_TRUE(result.stopped);
    EXPECT_EQ(result.indexed, 0U);
    EXPECT_TRUE(result.left.empty());
}

TEST(ForeignConflicts, PicksOnlyConflictsWithAVersionKtCouldNotHaveWritten) {
    const std::vector<es::BulkAction> actions{
        {Op::kIndex, "a", "{}", external_version(20)},
        {Op::kIndex, "b", "{}", external_version(20)},
        {Op::kDelete, "c", "", external_version(20)},
        {Op::kIndex, "d", "{}", external_version(20)},
        {Op::kIndex, "e", "{}", external_version(20)},
    };
    auto conflict = [](std::int64_t current) {
        es::ItemResult item{es::Outcome::kDone, 409, "version_conflict_engine_exception",
                            "[x]: version conflict, current version [" + std::to_string(current) +
                                "] is higher than the one provided [1310720]"};
        return item;
    };
    const std::vector<es::ItemResult> items{
        {es::Outcome::kDone, 201, "", ""},
        conflict(external_version(21)),      // kt's own newer write
        conflict(external_version(20) + 4),  // four foreign writes on kt's
        {es::Outcome::kDead, 400, "mapper_parsing_exception", "failed to parse"},
        {es::Outcome::kDone, 409, "version_conflict_engine_exception", "version conflict"},
    };
    const ForeignConflicts found = foreign_conflicts(actions, items);
    ASSERT_EQ(found.list.size(), 2U);
    EXPECT_EQ(found.list[0].id, "c");
    EXPECT_EQ(found.list[0].action, 2U);
    EXPECT_EQ(found.list[0].version, external_version(20) + 4);
    EXPECT_EQ(found.list[1].id, "e");  // a conflict naming no version cannot be taken as kt's
    EXPECT_EQ(found.list[1].version, -1);
    EXPECT_THAT(found.at, ElementsAre(false, false, true, false, true));
    EXPECT_THAT(found.ids(), ElementsAre("c", "e"));
}

}  // namespace
}  // namespace kt::workers
