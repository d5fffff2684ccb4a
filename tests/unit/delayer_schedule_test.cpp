#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "workers/common/batch_plan.hpp"
#include "workers/delayer/schedule.hpp"

namespace kt::workers {
namespace {

using namespace std::chrono_literals;

const WallTime kT0 = WallTime(std::chrono::seconds(1'700'000'000));

double seconds(WallTime t) {
    return std::chrono::duration<double>(t.time_since_epoch()).count();
}

WindowEntry envelope(std::int64_t offset, WallTime due, std::size_t pad = 0) {
    WindowEntry e;
    e.offset = offset;
    e.due = due;
    e.value = std::string(20 + pad, 'x');
    e.id = std::to_string(offset);
    e.topic = "products";
    return e;
}

WindowEntry poison(std::int64_t offset) {
    WindowEntry e;
    e.offset = offset;
    e.due = WallTime::min();
    e.value = "not json";
    e.dead_reason = "not JSON";
    return e;
}

std::vector<std::int64_t> offsets(const std::vector<ReadyEntry>& ready) {
    std::vector<std::int64_t> out;
    for (const auto& r : ready) out.push_back(r.entry.offset);
    return out;
}

// --- due_time ---------------------------------------------------------------------------

TEST(DelaySchedule, DueAtCreatedAtPlusDelay) {
    const auto d = due_time(seconds(kT0) - 10, std::nullopt, 300s, kT0);
    EXPECT_EQ(d.due, kT0 + 290s);
    EXPECT_FALSE(d.from_future);
}

TEST(DelaySchedule, FractionalCreatedAtIsNeverRoundedEarly) {
    const auto d = due_time(seconds(kT0) - 0.0000015, std::nullopt, 2s, kT0);
    EXPECT_GE(d.due, kT0 + 2s - 1500ns);
    EXPECT_LE(d.due, kT0 + 2s);
}

TEST(DelaySchedule, MissingCreatedAtUsesTheKafkaTimestamp) {
    const std::int64_t ts_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>((kT0 - 4s).time_since_epoch())
            .count();
    const auto d = due_time(std::nullopt, ts_ms, 5s, kT0);
    EXPECT_EQ(d.due, kT0 + 1s);
    EXPECT_FALSE(d.from_future);
}

TEST(DelaySchedule, WithoutAnyTimeTheEnvelopeWaitsTheDelayFromFirstSeen) {
    const auto d = due_time(std::nullopt, std::nullopt, 5s, kT0);
    EXPECT_EQ(d.due, kT0 + 5s);
    EXPECT_FALSE(d.from_future);
}

TEST(DelaySchedule, CreatedAtInTheFutureIsHeldAtMostTheDelayFromFirstSeen) {
    const auto d = due_time(seconds(kT0) + 3600, std::nullopt, 5s, kT0);
    EXPECT_EQ(d.due, kT0 + 5s);
    EXPECT_TRUE(d.from_future);
    const auto huge = due_time(1e300, std::nullopt, 5s, kT0);
    EXPECT_EQ(huge.due, kT0 + 5s);
    EXPECT_TRUE(huge.from_future);
    const std::int64_t ts_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>((kT0 + 60s).time_since_epoch())
            .count();
    EXPECT_TRUE(due_time(std::nullopt, ts_ms, 5s, kT0).from_future);
}

TEST(DelaySchedule, CreatedAtLongAgoIsDueNow) {
    EXPECT_LE(due_time(0.0, std::nullopt, 5s, kT0).due, kT0);
    EXPECT_LE(due_time(-5.0, std::nullopt, 5s, kT0).due, kT0);
}

// --- windows -----------------------------------------------------------------------------

TEST(DelaySchedule, DueEnvelopesGoStraightToTheBatch) {
    Schedule s;
    s.assign(0);
    std::vector<ReadyEntry> ready;
    ASSERT_TRUE(s.admits(0, 10));
    s.offer(0, envelope(10, kT0 - 1s), kT0, ready);
    s.offer(0, envelope(11, kT0), kT0, ready);
    EXPECT_EQ(offsets(ready), (std::vector<std::int64_t>{10, 11}));
    EXPECT_EQ(s.held(), 0U);
    EXPECT_FALSE(s.next_due().has_value());
}

TEST(DelaySchedule, ANotYetDueFrontHoldsWhatFollowsInOffsetOrder) {
    Schedule s;
    s.assign(0);
    std::vector<ReadyEntry> ready;
    s.offer(0, envelope(0, kT0 + 5s), kT0, ready);
    s.offer(0, envelope(1, kT0 - 1s), kT0, ready);  // due, but behind a waiting envelope
    s.offer(0, poison(2), kT0, ready);
    EXPECT_TRUE(ready.empty());
    EXPECT_TRUE(s.holding(0, kT0));
    EXPECT_EQ(s.next_due(), kT0 + 5s);

    EXPECT_EQ(s.take_due(kT0 + 4999ms, ready, 100), 0U);
    EXPECT_EQ(s.take_due(kT0 + 5s, ready, 100), 3U);
    EXPECT_EQ(offsets(ready), (std::vector<std::int64_t>{0, 1, 2}));
    EXPECT_TRUE(ready[2].entry.dead());
    EXPECT_FALSE(s.holding(0, kT0 + 5s));
}

TEST(DelaySchedule, PartitionsAreServedIndependently) {
    Schedule s;
    s.assign(0);
    s.assign(1);
    std::vector<ReadyEntry> ready;
    s.offer(0, envelope(0, kT0 + 1h), kT0, ready);
    s.offer(1, envelope(0, kT0 + 1s), kT0, ready);
    s.offer(1, envelope(1, kT0 + 2s), kT0, ready);
    EXPECT_EQ(s.next_due(), kT0 + 1s);
    s.take_due(kT0 + 2s, ready, 100);
    ASSERT_EQ(ready.size(), 2U);
    EXPECT_EQ(ready[0].partition, 1);
    EXPECT_EQ(ready[1].partition, 1);
    EXPECT_EQ(s.next_due(), kT0 + 1h);
}

TEST(DelaySchedule, TakeDueRespectsTheBatchLimit) {
    Schedule s;
    s.assign(0);
    std::vector<ReadyEntry> ready;
    s.offer(0, envelope(0, kT0 + 1s), kT0, ready);
    for (int i = 1; i < 10; ++i) s.offer(0, envelope(i, kT0), kT0, ready);
    EXPECT_EQ(s.take_due(kT0 + 1s, ready, 4), 4U);
    EXPECT_EQ(offsets(ready), (std::vector<std::int64_t>{0, 1, 2, 3}));
    EXPECT_EQ(s.held(), 6U);
}

TEST(DelaySchedule, TakenOrStaleOffsetsAreNotAdmittedAgain) {
    Schedule s;
    s.assign(3);
    std::vector<ReadyEntry> ready;
    EXPECT_TRUE(s.admits(3, 100));  // the first offset after assignment, whatever it is
    s.offer(3, envelope(100, kT0 + 1s), kT0, ready);
    EXPECT_FALSE(s.admits(3, 100));
    EXPECT_FALSE(s.admits(3, 99));
    EXPECT_TRUE(s.admits(3, 101));
    EXPECT_TRUE(s.admits(3, 105));  // gaps (compaction, transaction markers) are fine
    EXPECT_FALSE(s.admits(4, 0));   // not assigned
}

TEST(DelaySchedule, AFullWindowPausesAtTheFirstOffsetNotTakenAndResumesWhenHalfDrained) {
    Schedule s(WindowLimits{4, 1 << 20});
    s.assign(0);
    s.assign(1);
    std::vector<ReadyEntry> ready;
    for (int i = 0; i < 4; ++i)
        s.offer(0, envelope(i, kT0 + 1s + std::chrono::seconds(i)), kT0, ready);
    EXPECT_FALSE(s.admits(0, 4));  // full: later messages are dropped and fetched again
    s.offer(1, envelope(0, kT0 + 1s), kT0, ready);

    FlowPlan plan = s.plan_flow();
    EXPECT_EQ(plan.pause, (std::vector<PauseAt>{{0, 4}}));
    EXPECT_TRUE(plan.resume.empty());
    EXPECT_EQ(s.paused(), 1U);
    EXPECT_FALSE(s.admits(0, 4));        // paused
    EXPECT_TRUE(s.plan_flow().empty());  // no repeated pause

    s.take_due(kT0 + 1s, ready, 100);  // one of partition 0, one of partition 1: 3 left
    EXPECT_TRUE(s.plan_flow().empty());
    s.take_due(kT0 + 2s, ready, 100);  // 2 left: half of 4
    plan = s.plan_flow();
    EXPECT_TRUE(plan.pause.empty());
    EXPECT_EQ(plan.resume, (std::vector<std::int32_t>{0}));
    EXPECT_EQ(s.paused(), 0U);
    EXPECT_TRUE(s.admits(0, 4));
    EXPECT_FALSE(s.admits(0, 3));
}

TEST(DelaySchedule, TheByteLimitAlsoFillsAWindow) {
    Schedule s(WindowLimits{1000, 4096});
    s.assign(0);
    std::vector<ReadyEntry> ready;
    s.offer(0, envelope(0, kT0 + 1s, 3000), kT0, ready);
    EXPECT_TRUE(s.admits(0, 1));
    s.offer(0, envelope(1, kT0 + 1s, 3000), kT0, ready);
    EXPECT_FALSE(s.admits(0, 2));
    EXPECT_EQ(s.plan_flow().pause, (std::vector<PauseAt>{{0, 2}}));
}

TEST(DelaySchedule, MemoryIsBoundedWhateverTheBacklog) {
    Schedule s(WindowLimits{100, 1 << 20});
    for (int p = 0; p < 8; ++p) s.assign(p);
    std::vector<ReadyEntry> ready;
    std::size_t admitted = 0;
    for (std::int64_t offset = 0; offset < 100'000; ++offset) {
        const auto p = static_cast<std::int32_t>(offset % 8);
        if (!s.admits(p, offset / 8)) continue;
        s.offer(p, envelope(offset / 8, kT0 + 1h), kT0, ready);
        ++admitted;
    }
    EXPECT_EQ(admitted, 800U);
    EXPECT_EQ(s.held(), 800U);
    EXPECT_EQ(s.plan_flow().pause.size(), 8U);
}

TEST(DelaySchedule, RevokedPartitionsAreForgottenAndStartFreshWhenReassigned) {
    Schedule s;
    s.assign(0);
    std::vector<ReadyEntry> ready;
    s.offer(0, envelope(5, kT0 + 1s), kT0, ready);
    s.revoke(0);
    EXPECT_FALSE(s.assigned(0));
    EXPECT_EQ(s.held(), 0U);
    EXPECT_FALSE(s.next_due().has_value());
    s.assign(0);
    EXPECT_TRUE(s.admits(0, 5));  // read again from the committed offset
}

TEST(DelaySchedule, HoldingPausesEveryPartitionOnceExceptFullWindowsPausedAlready) {
    Schedule s(WindowLimits{2, 1 << 20});
    s.assign(0);
    s.assign(1);
    std::vector<ReadyEntry> ready;
    s.offer(1, envelope(0, kT0 + 1h), kT0, ready);
    s.offer(1, envelope(1, kT0 + 1h), kT0, ready);
    EXPECT_EQ(s.plan_flow().pause, (std::vector<PauseAt>{{1, 2}}));
    EXPECT_EQ(s.paused(), 1U);

    EXPECT_EQ(s.pause_all(), (std::vector<std::int32_t>{0}));  // 1 is paused already: full
    EXPECT_TRUE(s.pause_all().empty());                        // already held
    s.assign(2);                                               // assigned during the hold
    EXPECT_EQ(s.pause_all(), (std::vector<std::int32_t>{2}));

    const ResumePlan plan = s.resume_all();
    EXPECT_TRUE(plan.seek.empty());
    EXPECT_EQ(plan.resume, (std::vector<std::int32_t>{0, 2}));  // 1 stays paused: full
    EXPECT_EQ(s.paused(), 1U);
    EXPECT_TRUE(s.resume_all().empty());
    EXPECT_EQ(s.pause_all().size(), 2U);  // a later hold pauses them again
}

TEST(DelaySchedule, MessagesDroppedWhileHoldingAreReadAgainFromTheFirstOneNotTaken) {
    Schedule s;
    s.assign(0);
    s.assign(1);
    s.assign(2);
    std::vector<ReadyEntry> ready;
    s.offer(0, envelope(7, kT0 + 1h), kT0, ready);
    (void)s.pause_all();
    s.dropped(0, 9);
    s.dropped(0, 8);
    s.dropped(0, 10);
    s.dropped(0, 7);  // taken before: not read again
    s.dropped(1, 3);  // nothing taken yet: any offset counts
    s.dropped(5, 1);  // not assigned
    s.revoke(2);
    s.dropped(2, 4);  // revoked meanwhile

    const ResumePlan plan = s.resume_all();
    EXPECT_EQ(plan.seek, (std::vector<PauseAt>{{0, 8}, {1, 3}}));
    EXPECT_EQ(plan.resume, (std::vector<std::int32_t>{0, 1}));
    (void)s.pause_all();
    EXPECT_TRUE(s.resume_all().seek.empty()) << "a hold's offsets do not outlive it";
}

// --- commit plan, poll timeout, retries --------------------------------------------------

TEST(DelaySchedule, CommitsOnePastTheLastEntryOfEachPartition) {
    std::vector<ReadyEntry> ready;
    ready.push_back({2, envelope(7, kT0)});
    ready.push_back({0, envelope(3, kT0)});
    ready.push_back({2, envelope(8, kT0)});
    ready.push_back({0, poison(4)});
    std::vector<std::int32_t> partitions;
    for (const auto& r : ready) partitions.push_back(r.partition);
    const auto plan = commit_offsets("delay", partitions, offsets(ready));
    EXPECT_EQ(plan, (std::vector<kafka::TopicPartition>{{"delay", 0, 5}, {"delay", 2, 9}}));
    EXPECT_TRUE(commit_offsets("delay", {}, {}).empty());
}

TEST(DelaySchedule, PollWaitsUntilTheNextDueTimeAtMostTheMaximum) {
    EXPECT_EQ(poll_timeout(std::nullopt, kT0, 100ms), 100ms);
    EXPECT_EQ(poll_timeout(kT0 + 30ms, kT0, 100ms), 30ms);
    EXPECT_EQ(poll_timeout(kT0 + 30ms + 1us, kT0, 100ms), 31ms);  // rounded up: never early
    EXPECT_EQ(poll_timeout(kT0 + 1h, kT0, 100ms), 100ms);
    EXPECT_EQ(poll_timeout(kT0 - 1s, kT0, 100ms), 0ms);
    EXPECT_EQ(poll_timeout(WallTime::min(), kT0, 100ms), 0ms);
}

TEST(DelaySchedule, OnlyUnfixableDeliveryErrorsTurnIntoDeadLetters) {
    EXPECT_TRUE(is_permanent_delivery_error(kafka::ErrorCode::kMsgSizeTooLarge));
    EXPECT_TRUE(is_permanent_delivery_error(kafka::ErrorCode::kUnknownTopic));
    EXPECT_TRUE(is_permanent_delivery_error(kafka::ErrorCode::kTopicAuthorizationFailed));
    EXPECT_FALSE(is_permanent_delivery_error(kafka::ErrorCode::kMsgTimedOut));
    EXPECT_FALSE(is_permanent_delivery_error(kafka::ErrorCode::kTransport));
    EXPECT_FALSE(is_permanent_delivery_error(kafka::ErrorCode::kNotLeaderForPartition));
}

}  // namespace
}  // namespace kt::workers
