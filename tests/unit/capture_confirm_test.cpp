#include "workers/capture/confirm.hpp"

#include <gtest/gtest.h>

namespace kt::workers::capture {
namespace {

using Lsn = pg::pgoutput::Lsn;

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
    t.begin();
    const auto first = t.queued();
    t.committed(Lsn{10});
    t.begin();
    const auto second = t.queued();
    t.committed(Lsn{20});
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
    t.begin();
    const auto d = t.queued();
    t.committed(Lsn{20});
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
    t.begin();
    const auto tag = t.queued();
    t.committed(Lsn{10});
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
    t.begin();
    const auto old = t.queued();
    t.committed(Lsn{10});
    t.reset();
    EXPECT_EQ(t.unacknowledged(), 0U);
    EXPECT_EQ(t.waiting_transactions(), 0U);
    t.begin();
    const auto again = t.queued();
    t.committed(Lsn{10});
    t.acknowledged(old);
    EXPECT_EQ(t.confirmed(), Lsn{5}) << "an acknowledgement from the old session";
    t.acknowledged(again);
    EXPECT_EQ(t.confirmed(), Lsn{10});
}

}  // namespace
}  // namespace kt::workers::capture
