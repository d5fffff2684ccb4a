#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "workers/common/batch_plan.hpp"

namespace kt::workers {
namespace {

using kafka::TopicPartition;
using Op = es::BulkAction::Op;

/// kt writes a snapshot count n as version n × 2^16 (doc_version.hpp).
constexpr std::int64_t kScale = 65536;

/// A comparable copy of one bulk action (actions hold views).
struct PlannedAction {
    Op op;
    std::string id;
    std::string source;
    std::optional<std::int64_t> version;

    bool operator==(const PlannedAction&) const = default;
};

std::ostream& operator<<(std::ostream& out, const PlannedAction& a) {
    return out << (a.op == Op::kIndex ? "index " : "delete ") << a.id << " " << a.source << " v"
               << (a.version ? std::to_string(*a.version) : "none");
}

std::vector<PlannedAction> copy(const std::vector<es::BulkAction>& actions) {
    std::vector<PlannedAction> out;
    for (const auto& a : actions) {
        out.push_back({a.op, std::string(a.id), std::string(a.source), a.version});
    }
    return out;
}

TEST(CommitOffsets, TakesOnePastTheHighestOffsetPerPartitionSortedByPartition) {
    const std::vector<std::int32_t> partitions{3, 0, 3, 1, 0, 3};
    const std::vector<std::int64_t> offsets{17, 5, 12, 40, 9, 18};
    const auto commits = commit_offsets("products", partitions, offsets);
    const std::vector<TopicPartition> expected{
        {"products", 0, 10}, {"products", 1, 41}, {"products", 3, 19}};
    EXPECT_EQ(commits, expected);
}

TEST(CommitOffsets, OutOfOrderOffsetsStillCommitTheMaximum) {
    const std::vector<std::int32_t> partitions{2, 2, 2};
    const std::vector<std::int64_t> offsets{100, 7, 99};
    EXPECT_EQ(commit_offsets("t", partitions, offsets),
              (std::vector<TopicPartition>{{"t", 2, 101}}));
}

TEST(CommitOffsets, OffsetZeroCommitsOne) {
    const std::vector<std::int32_t> partitions{0};
    const std::vector<std::int64_t> offsets{0};
    EXPECT_EQ(commit_offsets("t", partitions, offsets), (std::vector<TopicPartition>{{"t", 0, 1}}));
}

TEST(CommitOffsets, EmptyBatchCommitsNothing) {
    EXPECT_TRUE(commit_offsets("t", {}, {}).empty());
}

TEST(CommitOffsets, OfConsumedMessagesAsOfTheirPartitionsAndOffsets) {
    const std::vector<InMessage> messages{{1, 40, "a", {}}, {0, 9, "b", {}}, {1, 41, "c", {}}};
    EXPECT_EQ(commit_offsets("t", messages),
              (std::vector<TopicPartition>{{"t", 0, 10}, {"t", 1, 42}}));
}

TEST(DropRevoked, DropsTheMessagesOfPartitionsNoLongerAssignedKeepingTheOrder) {
    std::vector<InMessage> messages{
        {0, 1, "a", {}}, {1, 1, "b", {}}, {2, 1, "c", {}}, {0, 2, "d", {}}};
    drop_revoked(messages, {0, 2});
    ASSERT_EQ(messages.size(), 3U);
    EXPECT_EQ(messages[0].payload, "a");
    EXPECT_EQ(messages[1].payload, "c");
    EXPECT_EQ(messages[2].payload, "d");
    drop_revoked(messages, {});
    EXPECT_TRUE(messages.empty()) << "nothing assigned: every message belongs to another member";
}

TEST(DistinctIds, KeepsFirstSeenOrder) {
    const std::vector<BatchEntry> entries{{0, 1, "7"}, {1, 1, "3"}, {0, 2, "7"}, {2, 1, "sku-9"},
                                          {1, 2, "3"}, {0, 3, "1"}, {2, 2, "7"}};
    EXPECT_EQ(distinct_ids(entries), (std::vector<std::string>{"7", "3", "sku-9", "1"}));
}

TEST(DistinctIds, TreatsIdsAsTextNotNumbers) {
    const std::vector<BatchEntry> entries{{0, 1, "7"}, {0, 2, "007"}, {0, 3, "7"}};
    EXPECT_EQ(distinct_ids(entries), (std::vector<std::string>{"7", "007"}));
}

TEST(DistinctIds, EmptyBatchHasNoIds) {
    EXPECT_TRUE(distinct_ids({}).empty());
}

TEST(PlanActions, IndexesFoundRowsAndDeletesMissingIdsWithTheSnapshotsScaledVersion) {
    const std::vector<std::string> ids{"1", "2", "3"};
    pg::LoadResult result;
    result.rows = {{"3", R"({"title":"three"})"}, {"1", R"({"title":"one"})"}};
    result.version = 9001;
    const std::vector<LoadedSlice> slices{{ids, &result}};

    const std::vector<PlannedAction> expected{
        {Op::kIndex, "1", R"({"title":"one"})", kScale * 9001},
        {Op::kDelete, "2", "", kScale * 9001},
        {Op::kIndex, "3", R"({"title":"three"})", kScale * 9001},
    };
    EXPECT_EQ(copy(plan_actions(slices)), expected);
}

TEST(PlanActions, EveryActionCarriesItsOwnSlicesVersion) {
    const std::vector<std::string> first_ids{"a", "b"};
    const std::vector<std::string> second_ids{"c", "d"};
    pg::LoadResult first;
    first.rows = {{"a", R"({"n":1})"}};
    first.version = 50;
    pg::LoadResult second;
    second.rows = {{"d", R"({"n":4})"}};
    second.version = 51;
    const std::vector<LoadedSlice> slices{{first_ids, &first}, {second_ids, &second}};

    const auto actions = plan_actions(slices);
    const std::vector<PlannedAction> expected{
        {Op::kIndex, "a", R"({"n":1})", kScale * 50},
        {Op::kDelete, "b", "", kScale * 50},
        {Op::kDelete, "c", "", kScale * 51},
        {Op::kIndex, "d", R"({"n":4})", kScale * 51},
    };
    EXPECT_EQ(copy(actions), expected);
    for (const auto& a : actions) EXPECT_TRUE(a.version.has_value()) << a.id;
}

TEST(PlanActions, AllIdsMissingDeletesEveryOne) {
    const std::vector<std::string> ids{"10", "11"};
    pg::LoadResult result;
    result.version = 3;
    const std::vector<LoadedSlice> slices{{ids, &result}};
    const std::vector<PlannedAction> expected{{Op::kDelete, "10", "", kScale * 3},
                                              {Op::kDelete, "11", "", kScale * 3}};
    EXPECT_EQ(copy(plan_actions(slices)), expected);
}

TEST(PlanActions, RowWhoseIdTextDiffersFromTheAskedIdIsStillIndexed) {
    // `007` asked for a bigint key comes back as `7`: the row is indexed under Postgres's id,
    // and the asked text, which names no row, is deleted.
    const std::vector<std::string> ids{"007", "8"};
    pg::LoadResult result;
    result.rows = {{"7", R"({"title":"seven"})"}, {"8", R"({"title":"eight"})"}};
    result.version = 12;
    const std::vector<LoadedSlice> slices{{ids, &result}};

    const auto actions = copy(plan_actions(slices));
    EXPECT_THAT(actions, ::testing::Contains(
                             PlannedAction{Op::kIndex, "7", R"({"title":"seven"})", kScale * 12}));
    EXPECT_THAT(actions, ::testing::Contains(
                             PlannedAction{Op::kIndex, "8", R"({"title":"eight"})", kScale * 12}));
    EXPECT_THAT(actions, ::testing::Contains(PlannedAction{Op::kDelete, "007", "", kScale * 12}));
    EXPECT_EQ(actions.size(), 3U);
}

TEST(PlanActions, ViewsPointIntoTheLoadedRows) {
    const std::vector<std::string> ids{"1"};
    pg::LoadResult result;
    result.rows = {{"1", R"({"x":true})"}};
    result.version = 1;
    const std::vector<LoadedSlice> slices{{ids, &result}};
    const auto actions = plan_actions(slices);
    ASSERT_EQ(actions.size(), 1U);
    EXPECT_EQ(actions[0].source.data(), result.rows[0].doc.data());
}

TEST(PlanActions, NoSlicesNoActions) {
    EXPECT_TRUE(plan_actions({}).empty());
}

}  // namespace
}  // namespace kt::workers
