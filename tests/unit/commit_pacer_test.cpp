#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <vector>

#include "workers/common/commit_pacer.hpp"

namespace kt::workers {
namespace {

using kafka::TopicPartition;
using std::chrono::milliseconds;
using TimePoint = std::chrono::steady_clock::time_point;

constexpr milliseconds kEvery{1000};
const TimePoint kStart{std::chrono::hours(1)};

std::vector<InMessage> messages(std::initializer_list<std::pair<std::int32_t, std::int64_t>> at) {
    std::vector<InMessage> out;
    for (const auto& [partition, offset] : at) out.push_back({partition, offset, "1", {}});
    return out;
}

TEST(CommitPacer, CaughtUpEveryHandledBatchIsDueAtOnce) {
    CommitPacer pacer("t", kEvery, kStart);
    EXPECT_FALSE(pacer.due(kStart, false)) << "nothing handled, nothing to commit";
    pacer.add(messages({{0, 7}}));
    EXPECT_TRUE(pacer.due(kStart, false));
    EXPECT_THAT(pacer.offsets(), testing::ElementsAre(TopicPartition{"t", 0, 8}));
}

TEST(CommitPacer, WhileABacklogLastsBatchesWaitForThePeriod) {
    CommitPacer pacer("t", kEvery, kStart);
    pacer.add(messages({{0, 0}, {1, 0}}));
    EXPECT_FALSE(pacer.due(kStart + milliseconds(10), true));
    pacer.add(messages({{0, 1}, {0, 2}}));
    EXPECT_FALSE(pacer.due(kStart + milliseconds(999), true));
    EXPECT_TRUE(pacer.due(kStart + kEvery, true));
    // One commit carries both batches: the highest offset per partition, and what it covers.
    EXPECT_THAT(pacer.offsets(),
                testing::ElementsAre(TopicPartition{"t", 0, 3}, TopicPartition{"t", 1, 1}));
    const std::map<std::int32_t, std::int64_t> covered = pacer.committed(kStart + kEvery);
    EXPECT_EQ(covered, (std::map<std::int32_t, std::int64_t>{{0, 3}, {1, 1}}));
    EXPECT_TRUE(pacer.empty());
    EXPECT_TRUE(pacer.offsets().empty());
}

TEST(CommitPacer, ACommitStartsTheNextPeriod) {
    CommitPacer pacer("t", kEvery, kStart);
    pacer.add(messages({{2, 5}}));
    (void)pacer.committed(kStart + milliseconds(1500));
    pacer.add(messages({{2, 6}}));
    EXPECT_FALSE(pacer.due(kStart + milliseconds(2000), true));
    EXPECT_TRUE(pacer.due(kStart + milliseconds(2500), true));
}

TEST(CommitPacer, AnOlderBatchNeverMovesAPartitionBack) {
    CommitPacer pacer("t", kEvery, kStart);
    pacer.add(messages({{0, 9}}));
    pacer.add(messages({{0, 4}}));
    EXPECT_THAT(pacer.offsets(), testing::ElementsAre(TopicPartition{"t", 0, 10}));
}

TEST(CommitPacer, ARevokedPartitionIsNotCommittedByThisMember) {
    CommitPacer pacer("t", kEvery, kStart);
    pacer.add(messages({{0, 3}, {1, 4}}));
    pacer.drop(1);
    EXPECT_THAT(pacer.offsets(), testing::ElementsAre(TopicPartition{"t", 0, 4}));
    EXPECT_EQ(pacer.committed(kStart), (std::map<std::int32_t, std::int64_t>{{0, 1}}));
    pacer.add(messages({{1, 5}}));
    pacer.drop(1);
    EXPECT_FALSE(pacer.due(kStart, false));
}

}  // namespace
}  // namespace kt::workers
