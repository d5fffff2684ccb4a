#include "workers/capture/confirm.hpp"

#include <gtest/gtest.h>

#include <cstdint>

namespace kt::workers::capture {
namespace {

using Lsn = pg::pgoutput::Lsn;

/// A transaction of one message committed at `end` (at `commit_time`); returns the message's tag.
std::uint64_t one_message_transaction(ConfirmTracker& t, Lsn end, std::int64_t commit_time = 0) {
    t.begin();
    const auto tag = t.queued();
    t.committed(end, commit_time);
    return tag;
}

TEST(CaptureConfirm, ATransactionIsConfirmedOnlyWhenAllItsMessagesAreAcknowledged) {
    ConfirmTracker t(Lsn{100});
    t.begin();
    const auto a = t.queued();
    const auto b = t.queued();
    t.committed(Lsn{200});
    EXPECT_EQ(t.confirmed(), Lsn{100});
    t.acknowledged(b);
    EXPECT_EQ(t.confirmed(), Lsn{100}) << "one message of the transaction is still out";
    t.acknowledged(a);
    EXPECT_EQ(t.confirmed(), Lsn{200});
    EXPECT_EQ(t.waiting_transactions(), 0U);
}

TEST(CaptureConfirm, ALaterTransactionWaitsForAnEarlierOne) {
    ConfirmTracker t;
    const auto first = one_message_transaction(t, Lsn{10});
    const auto second = one_message_transaction(t, Lsn{20});
    t.acknowledged(second);
    EXPECT_EQ(t.confirmed(), Lsn{}) << "the earlier transaction is not acknowledged yet";
    t.acknowledged(first);
    EXPECT_EQ(t.confirmed(), Lsn{20});
}

TEST(CaptureConfirm, AcknowledgementsOutOfOrderAndTwiceCountEachMessageOnce) {
    // Messages of different partitions are acknowledged in any order, and a report may repeat.
    ConfirmTracker t;
    t.begin();
    const auto a = t.queued();
    const auto b = t.queued();
    const auto c = t.queued();
    t.committed(Lsn{10});
    const auto d = one_message_transaction(t, Lsn{20});
    t.acknowledged(c);
    t.acknowledged(c);
    t.acknowledged(d);
    EXPECT_EQ(t.unacknowledged(), 2U);
    EXPECT_EQ(t.confirmed(), Lsn{});
    t.acknowledged(a);
    EXPECT_EQ(t.confirmed(), Lsn{}) << "b of the first transaction is still out";
    t.acknowledged(b);
    EXPECT_EQ(t.unacknowledged(), 0U);
    EXPECT_EQ(t.confirmed(), Lsn{20});
    t.acknowledged(b);
    t.acknowledged(99);  // never queued
    EXPECT_EQ(t.unacknowledged(), 0U);
}

TEST(CaptureConfirm, ATransactionWithNoMessagesIsConfirmedWhenEverythingBeforeIs) {
    ConfirmTracker t;
    const auto tag = one_message_transaction(t, Lsn{10});
    t.begin();
    t.committed(Lsn{20});  // changed only tables no index reads
    EXPECT_EQ(t.confirmed(), Lsn{});
    t.acknowledged(tag);
    EXPECT_EQ(t.confirmed(), Lsn{20});
    t.begin();
    t.committed(Lsn{30});
    EXPECT_EQ(t.confirmed(), Lsn{30});
}

TEST(CaptureConfirm, AKeepalivePositionIsConfirmedOnlyWithNothingPending) {
    ConfirmTracker t(Lsn{5});
    t.sent_up_to(Lsn{50});
    EXPECT_EQ(t.confirmed(), Lsn{50}) << "idle: the slot may move";
    t.begin();
    t.sent_up_to(Lsn{60});
    EXPECT_EQ(t.confirmed(), Lsn{50}) << "inside a transaction";
    const auto tag = t.queued();
    t.committed(Lsn{70});
    t.sent_up_to(Lsn{80});
    EXPECT_EQ(t.confirmed(), Lsn{50}) << "a message is not acknowledged";
    t.acknowledged(tag);
    t.sent_up_to(Lsn{80});
    EXPECT_EQ(t.confirmed(), Lsn{80});
    t.sent_up_to(Lsn{60});
    EXPECT_EQ(t.confirmed(), Lsn{80}) << "never backwards";
}

TEST(CaptureConfirm, AResetForgetsWhatWasPendingAndIgnoresLateAcknowledgements) {
    ConfirmTracker t(Lsn{5});
    const auto old = one_message_transaction(t, Lsn{10});
    t.reset();
    EXPECT_EQ(t.unacknowledged(), 0U);
    EXPECT_EQ(t.waiting_transactions(), 0U);
    const auto again = one_message_transaction(t, Lsn{10});
    t.acknowledged(old);
    EXPECT_EQ(t.confirmed(), Lsn{5}) << "an acknowledgement from the old session";
    EXPECT_FALSE(t.current(old));
    EXPECT_TRUE(t.current(again));
    t.acknowledged(again);
    EXPECT_EQ(t.confirmed(), Lsn{10});
}

TEST(CaptureConfirm, TheLagIsTakenFromTheNewestTransactionConfirmedByAnAcknowledgement) {
    ConfirmTracker t;
    const auto first = one_message_transaction(t, Lsn{10}, 1'000'000);
    const auto second = one_message_transaction(t, Lsn{20}, 3'000'000);
    EXPECT_EQ(t.take_confirmed_commit_time(), std::nullopt) << "nothing acknowledged yet";
    t.acknowledged(second);
    EXPECT_EQ(t.take_confirmed_commit_time(), std::nullopt) << "the first still waits";
    t.acknowledged(first);
    EXPECT_EQ(t.take_confirmed_commit_time(), std::optional<std::int64_t>(3'000'000))
        << "both confirmed at once: the newest one's commit time";
    EXPECT_EQ(t.take_confirmed_commit_time(), std::nullopt) << "taken once";
    // A transaction with no messages is confirmed at its commit.
    t.begin();
    t.committed(Lsn{30}, 4'000'000);
    EXPECT_EQ(t.take_confirmed_commit_time(), std::optional<std::int64_t>(4'000'000));
}

TEST(CaptureConfirm, TheLagIsCommitToAcknowledgementInSecondsAndNeverNegative) {
    EXPECT_DOUBLE_EQ(capture_lag_seconds(1'000'000, 1'250'000), 0.25);
    EXPECT_DOUBLE_EQ(capture_lag_seconds(5'000'000, 4'000'000), 0.0) << "clocks a bit apart";
}

TEST(CaptureStatusUpdate, AnIdleStreamFollowsTheServerEveryTenthOfASecond) {
    using std::chrono::milliseconds;
    StatusMoment m;
    m.heartbeat = milliseconds(10000);
    m.idle = true;
    m.since_last = milliseconds(50);
    EXPECT_FALSE(status_update(m).send);
    m.since_last = kIdleFollow;
    EXPECT_TRUE(status_update(m).send);
    EXPECT_TRUE(status_update(m).ask_reply) << "the server's position comes back to confirm";
    // Changes in flight: only a moved position each second, or the heartbeat.
    m.idle = false;
    EXPECT_FALSE(status_update(m).send);
    m.moved = true;
    m.since_last = kReportEvery;
    EXPECT_TRUE(status_update(m).send);
    EXPECT_FALSE(status_update(m).ask_reply);
    m.moved = false;
    m.since_last = m.heartbeat;
    EXPECT_TRUE(status_update(m).send);
    EXPECT_TRUE(status_update(m).ask_reply);
}

TEST(CaptureStatusUpdate, TheServersRequestIsAnsweredAtOnceWithoutAskingBack) {
    StatusMoment m;
    m.server_asked = true;
    m.idle = true;
    m.since_last = std::chrono::milliseconds(5000);
    EXPECT_TRUE(status_update(m).send);
    EXPECT_FALSE(status_update(m).ask_reply);
}

}  // namespace
}  // namespace kt::workers::capture
