#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "workers/delayer/delivery.hpp"

namespace kt::workers {
namespace {

using Kind = Outgoing::Kind;
using State = Outgoing::State;

constexpr DeliveryError kTooLarge = kafka::ErrorCode::kMsgSizeTooLarge;
constexpr DeliveryError kTimedOut = kafka::ErrorCode::kMsgTimedOut;

ReadyEntry envelope(std::int32_t partition, std::int64_t offset) {
    ReadyEntry r;
    r.partition = partition;
    r.entry.offset = offset;
    r.entry.id = std::to_string(offset);
    r.entry.topic = "products";
    return r;
}

ReadyEntry poison(std::int32_t partition, std::int64_t offset) {
    ReadyEntry r = envelope(partition, offset);
    r.entry.dead_reason = "not JSON";
    return r;
}

DeliveryBatch batch_of(const std::vector<ReadyEntry>& ready, bool forward = false) {
    return DeliveryBatch(ready, forward, [](const Outgoing& out, DeliveryError) {
        return "cannot produce " + std::to_string(out.entry);
    });
}

/// Sends every unsent message, as the loop does before it flushes.
void send_all(DeliveryBatch& batch) {
    for (std::size_t j = 0; j < batch.outgoing().size(); ++j) {
        if (batch.unsent(j)) batch.sent(j);
    }
}

TEST(DelayDelivery, OneReleasePerEnvelopeAForwardWithANextStageAndADeadLetterPerPoison) {
    const std::vector<ReadyEntry> ready{envelope(0, 1), poison(0, 2)};
    const DeliveryBatch plain = batch_of(ready);
    ASSERT_EQ(plain.outgoing().size(), 2U);
    EXPECT_EQ(plain.outgoing()[0].kind, Kind::kRelease);
    EXPECT_EQ(plain.outgoing()[1].kind, Kind::kDead);
    EXPECT_EQ(plain.outgoing()[1].reason, "not JSON");
    const DeliveryBatch staged = batch_of(ready, true);
    ASSERT_EQ(staged.outgoing().size(), 3U);
    EXPECT_EQ(staged.outgoing()[1].kind, Kind::kForward);
}

TEST(DelayDelivery, DoneOnlyOnceEveryMessageIsAcknowledged) {
    const std::vector<ReadyEntry> ready{envelope(0, 1), envelope(1, 1)};
    DeliveryBatch batch = batch_of(ready);
    send_all(batch);
    EXPECT_TRUE(batch.awaited());
    batch.report(0, kNoDeliveryError);
    EXPECT_EQ(batch.settle(), kNoDeliveryError);
    EXPECT_FALSE(batch.done()) << "the second release is still in flight";
    batch.report(1, kNoDeliveryError);
    (void)batch.settle();
    EXPECT_TRUE(batch.done());
    EXPECT_FALSE(batch.awaited());
}

TEST(DelayDelivery, ARetryableErrorHoldsTheBatchAndSendsTheMessageAgain) {
    const std::vector<ReadyEntry> ready{envelope(0, 1)};
    DeliveryBatch batch = batch_of(ready);
    send_all(batch);
    batch.report(0, kTimedOut);
    EXPECT_EQ(batch.settle(), kTimedOut);
    EXPECT_FALSE(batch.done());
    EXPECT_TRUE(batch.unsent(0));
    EXPECT_EQ(batch.outgoing().size(), 1U) << "nothing is given up";
}

TEST(DelayDelivery, APermanentlyRefusedReleaseIsGivenUpForADeadLetter) {
    const std::vector<ReadyEntry> ready{envelope(0, 1)};
    DeliveryBatch batch = batch_of(ready);
    send_all(batch);
    batch.report(0, kTooLarge);
    EXPECT_EQ(batch.settle(), kNoDeliveryError) << "giving up needs no retry";
    ASSERT_EQ(batch.outgoing().size(), 2U);
    EXPECT_TRUE(batch.outgoing()[0].failed);
    EXPECT_EQ(batch.outgoing()[1].kind, Kind::kDead);
    EXPECT_EQ(batch.outgoing()[1].reason, "cannot produce 0");
    EXPECT_TRUE(batch.unsent(1));
    EXPECT_FALSE(batch.done()) << "the dead letter is still to be acknowledged";
    batch.sent(1);
    batch.report(1, kNoDeliveryError);
    (void)batch.settle();
    EXPECT_TRUE(batch.done());
}

TEST(DelayDelivery, AProduceRefusedForGoodIsGivenUpAtOnce) {
    const std::vector<ReadyEntry> ready{envelope(0, 1)};
    DeliveryBatch batch = batch_of(ready);
    EXPECT_TRUE(batch.refused(0, kTooLarge));
    EXPECT_EQ(batch.outgoing()[1].kind, Kind::kDead);
    EXPECT_FALSE(batch.refused(1, kTimedOut)) << "a retryable refusal retries the batch";
}

TEST(DelayDelivery, ADeadLetterIsNeverGivenUp) {
    const std::vector<ReadyEntry> ready{poison(0, 1)};
    DeliveryBatch batch = batch_of(ready);
    EXPECT_FALSE(batch.refused(0, kTooLarge));
    send_all(batch);
    batch.report(0, kTooLarge);
    EXPECT_EQ(batch.settle(), kTooLarge) << "the batch is retried until the dead letter is written";
    EXPECT_EQ(batch.outgoing().size(), 1U);
    EXPECT_TRUE(batch.unsent(0));
}

TEST(DelayDelivery, ARevokedPartitionsWorkIsDropped) {
    const std::vector<ReadyEntry> ready{envelope(0, 1), envelope(1, 1)};
    DeliveryBatch batch = batch_of(ready);
    send_all(batch);
    batch.report(1, kNoDeliveryError);
    (void)batch.settle();
    batch.drop(ready, {0, 1});
    EXPECT_TRUE(batch.outgoing()[0].dropped);
    EXPECT_FALSE(batch.outgoing()[1].dropped) << "what was acknowledged stays done";
    EXPECT_TRUE(batch.done());
    EXPECT_FALSE(batch.awaited()) << "no report is awaited for dropped work";
}

TEST(DelayDelivery, AReplacedProducerSendsWhatWasInFlightAgain) {
    const std::vector<ReadyEntry> ready{envelope(0, 1), envelope(0, 2)};
    DeliveryBatch batch = batch_of(ready);
    send_all(batch);
    batch.report(0, kNoDeliveryError);
    (void)batch.settle();
    batch.resend_in_flight();
    EXPECT_FALSE(batch.unsent(0));
    EXPECT_TRUE(batch.unsent(1));
}

TEST(DelayDelivery, AReportBeyondTheBatchIsIgnored) {
    const std::vector<ReadyEntry> ready{envelope(0, 1)};
    DeliveryBatch batch = batch_of(ready);
    send_all(batch);
    batch.report(7, kNoDeliveryError);
    (void)batch.settle();
    EXPECT_FALSE(batch.done());
}

}  // namespace
}  // namespace kt::workers
