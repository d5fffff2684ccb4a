#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "lib/config/config.hpp"
#include "lib/metrics/registry.hpp"
#include "lib/retry/backoff.hpp"
#include "tests/fakes/fakes.hpp"
#include "tests/unit/worker_loop_fixture.hpp"
#include "workers/delayer/delayer.hpp"

// The kt-delayer loop on in-memory collaborators and a manual clock: each test is one of its
// release or commit decisions.
namespace kt::workers {
namespace {

using fakes::wait_until;
using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

constexpr kafka::ErrorCode kTimedOut = kafka::ErrorCode::kMsgTimedOut;    // retry the batch
constexpr kafka::ErrorCode kTooLarge = kafka::ErrorCode::kMsgSizeTooLarge;  // never succeeds

/// A Delayer with a 5 minute delay on fakes, running on its own thread from start() until the
/// fixture ends.
class DelayerLoop : public WorkerLoopTest<Delayer> {
protected:
    DelayerLoop() {
        delayer_.name = "delay_5m";
        delayer_.topic = "delay_5m";
        delayer_.delay = std::chrono::minutes(5);
        delayer_.target = "products";
        delayer_.dead_letter_topic = "delay_5m.dlq";
        config_.delayers.push_back(delayer_);
    }

    /// Builds the Delayer on fakes; its consumer is assigned `partitions`.
    void build(std::vector<std::int32_t> partitions = {0}, DelayerOptions options = {}) {
        DelayerIo io;
        auto consumer = std::make_unique<fakes::FakePartitionConsumer>(std::move(partitions));
        auto producer = std::make_unique<fakes::FakeTaggedSink>();
        auto clock = std::make_unique<fakes::ManualClock>();
        consumer_ = consumer.get();
        producer_ = producer.get();
        clock_ = clock.get();
        io.consumer = std::move(consumer);
        io.producer = std::move(producer);
        io.clock = std::move(clock);
        io.sleep = sleeper_.sleeper();
        loop_ = std::make_unique<Delayer>(config_, config_.delayers.front(), registry_,
                                          std::move(io), options);
    }

    /// An envelope for id `id` created at the manual clock's now (minus `age`), for `topic`.
    [[nodiscard]] std::string envelope(int id, milliseconds age = 0ms,
                                       const std::string& topic = "products") const {
        const double created = clock_->unix_seconds() - std::chrono::duration<double>(age).count();
        return fmt::format(R"({{"payload": {{"id": {}}}, "created_at": {:.3f}, "topic": "{}"}})",
                           id, created, topic);
    }
    /// Waits until the loop has polled `n` more times: it has seen the clock as it is now.
    void let_loop_turn(int n = 5) {
        const int from = consumer_->polls();
        ASSERT_TRUE(wait_until([&] { return consumer_->polls() >= from + n; }));
    }
    [[nodiscard]] std::int64_t committed(std::int32_t partition) const {
        const auto c = consumer_->committed();
        const auto it = c.find(partition);
        return it == c.end() ? -1 : it->second;
    }

    config::DelayerConfig delayer_;
    fakes::FakePartitionConsumer* consumer_ = nullptr;
    fakes::FakeTaggedSink* producer_ = nullptr;
    fakes::ManualClock* clock_ = nullptr;
};

TEST_F(DelayerLoop, ReleasesAnEnvelopeOnlyOnceItIsDue) {
    build();
    consumer_->append(0, envelope(7));
    run();
    clock_->advance(5min - 1s);
    let_loop_turn();
    EXPECT_EQ(producer_->produced("products"), 0) << "released before created_at + delay";
    EXPECT_EQ(committed(0), -1);

    clock_->advance(2s);
    ASSERT_TRUE(wait_until([&] { return committed(0) == 1; }));
    EXPECT_THAT(producer_->acknowledged("products"), ElementsAre(R"({"id": 7})"));
    EXPECT_EQ(producer_->acknowledged().front().key, "7");
}

TEST_F(DelayerLoop, AnUnacknowledgedBatchIsRetriedWithBackoffAndCommittedOnceAcknowledged) {
    build();
    producer_->fail("products", kTimedOut);
    consumer_->append(0, envelope(1, 10min));
    run();
    ASSERT_TRUE(wait_until([&] { return producer_->produced("products") >= 4; }));
    EXPECT_EQ(committed(0), -1) << "a batch Kafka did not acknowledge is never committed";
    EXPECT_FALSE(loop_->readiness().ok);

    producer_->fail("products", kafka::ErrorCode::kNoError, 0);
    ASSERT_TRUE(wait_until([&] { return committed(0) == 1; }));
    EXPECT_THAT(producer_->acknowledged("products"), ElementsAre(R"({"id": 1})"));
    EXPECT_TRUE(loop_->readiness().ok);

    // A backoff wait before each retry (slept in slices of at most the poll wait, polling in
    // between), the waits together under their ceilings: 100 ms doubling to 5 s.
    const auto delays = sleeper_.delays();
    const int retries = producer_->produced("products") - 1;
    ASSERT_GE(static_cast<int>(delays.size()), retries);
    retry::Backoff ceilings(kDelayerBackoff, [] { return 1.0; });
    milliseconds slept{0};
    milliseconds bound{0};
    for (const auto d : delays) slept += d;
    for (int i = 0; i < retries; ++i) bound += ceilings.next();
    EXPECT_LE(slept, bound);
}

TEST(DelayerBackoff, DoublesFromAHundredMillisecondsToFiveSeconds) {
    retry::Backoff backoff(kDelayerBackoff, [] { return 1.0; });
    std::vector<milliseconds> ceilings;
    for (int i = 0; i < 8; ++i) ceilings.push_back(backoff.next());
    EXPECT_THAT(ceilings, ElementsAre(100ms, 200ms, 400ms, 800ms, 1600ms, 3200ms, 5000ms, 5000ms));
}

TEST_F(DelayerLoop, ABatchNotAcknowledgedInTimeIsAwaitedWithEveryPartitionPaused) {
    build({0, 1});
    producer_->hold("products");
    consumer_->append(0, envelope(1, 10min));
    run();
    ASSERT_TRUE(wait_until([&] { return producer_->produced("products") == 1; }));
    clock_->advance(31s);  // past the flush timeout
    ASSERT_TRUE(wait_until([&] { return !sleeper_.delays().empty(); })) << "no backoff wait";
    EXPECT_TRUE(consumer_->paused(0));
    EXPECT_TRUE(consumer_->paused(1)) << "every partition waits for the batch in hand";
    EXPECT_FALSE(loop_->readiness().ok);
    EXPECT_EQ(committed(0), -1);

    producer_->release("products");
    ASSERT_TRUE(wait_until([&] { return committed(0) == 1; }));
    EXPECT_EQ(producer_->produced("products"), 1) << "what is in flight is not sent twice";
    EXPECT_FALSE(consumer_->paused(0));
    EXPECT_FALSE(consumer_->paused(1));
}

TEST_F(DelayerLoop, ARevokedPartitionsWorkInTheBatchInHandIsDroppedNotCommitted) {
    build({0, 1});
    // Partition 1's release is never acknowledged: only its revocation lets the batch end.
    producer_->fail("brands", kTimedOut);
    consumer_->append(0, envelope(1, 10min));
    consumer_->append(1, envelope(2, 10min, "brands"));
    run();
    ASSERT_TRUE(wait_until([&] { return producer_->produced("brands") >= 2; }));
    EXPECT_THAT(consumer_->committed(), IsEmpty());

    consumer_->revoke({1});
    ASSERT_TRUE(wait_until([&] { return committed(0) == 1; }));
    let_loop_turn();
    EXPECT_EQ(committed(1), -1) << "the new owner of partition 1 reads it again";
    EXPECT_THAT(producer_->acknowledged("products"), ElementsAre(R"({"id": 1})"));
}

TEST_F(DelayerLoop, APermanentlyRefusedReleaseIsDeadLetteredAndTheCommitWaitsForIt) {
    build();
    producer_->fail("products", kTooLarge);
    producer_->hold("delay_5m.dlq");
    consumer_->append(0, envelope(1, 10min));
    run();
    ASSERT_TRUE(wait_until([&] { return producer_->produced("delay_5m.dlq") == 1; }));
    const int flushes = producer_->flushes();
    ASSERT_TRUE(wait_until([&] { return producer_->flushes() >= flushes + 10; }));
    EXPECT_EQ(committed(0), -1) << "committed before the dead letter was acknowledged";

    producer_->release("delay_5m.dlq");
    ASSERT_TRUE(wait_until([&] { return committed(0) == 1; }));
    EXPECT_EQ(producer_->produced("products"), 1) << "a refusal for good is not retried";
    const auto acked = producer_->acknowledged();
    ASSERT_EQ(acked.size(), 1U);
    EXPECT_EQ(acked[0].topic, "delay_5m.dlq");
    EXPECT_THAT(acked[0].headers.at("kt.error"), HasSubstr("cannot produce to products"));
    EXPECT_EQ(acked[0].headers.at("kt.offset"), "0");
}

TEST_F(DelayerLoop, AFullWindowPausesItsPartitionAndResumesItWhenItDrains) {
    DelayerOptions options;
    options.window.max_entries = 2;
    build({0}, options);
    for (int id = 0; id < 5; ++id) consumer_->append(0, envelope(id));
    run();
    ASSERT_TRUE(wait_until([&] { return consumer_->paused(0); }));
    let_loop_turn();
    EXPECT_TRUE(consumer_->paused(0)) << "stays paused while its window waits";
    EXPECT_EQ(producer_->produced("products"), 0);

    clock_->advance(5min + 1s);
    ASSERT_TRUE(wait_until([&] { return committed(0) == 5; }));
    EXPECT_THAT(producer_->acknowledged("products"),
                ElementsAre(R"({"id": 0})", R"({"id": 1})", R"({"id": 2})", R"({"id": 3})",
                            R"({"id": 4})"));
    const auto [pauses, resumes] = consumer_->pauses(0);
    EXPECT_GE(pauses, 1);
    EXPECT_GE(resumes, 1);
    EXPECT_FALSE(consumer_->paused(0));
}

TEST_F(DelayerLoop, AStopDuringAnUnacknowledgedBatchCommitsNothingOfIt) {
    build({0, 1});
    producer_->hold("products");
    consumer_->append(0, envelope(1, 10min));
    consumer_->append(1, envelope(2, 10min));
    run();
    ASSERT_TRUE(wait_until([&] { return producer_->produced("products") == 2; }));
    stop();
    EXPECT_THAT(consumer_->committed(), IsEmpty());
    EXPECT_FALSE(consumer_->in_group()) << "the loop leaves the group when it stops";
}

TEST_F(DelayerLoop, APoisonMessageIsDeadLetteredAndThePartitionMovesOn) {
    build();
    consumer_->append(0, "not json", std::string("k"));
    consumer_->append(0, envelope(3, 10min));
    run();
    ASSERT_TRUE(wait_until([&] { return committed(0) == 2; }));
    const auto acked = producer_->acknowledged();
    ASSERT_EQ(acked.size(), 2U);
    EXPECT_EQ(acked[0].topic, "delay_5m.dlq");
    EXPECT_EQ(acked[0].value, "not json");
    EXPECT_EQ(acked[0].key, "k");
    EXPECT_EQ(acked[1].value, R"({"id": 3})");
}

TEST_F(DelayerLoop, AProducerThatFailedFatallyIsReplacedAndTheBatchSentAgain) {
    build();
    producer_->fail_fatally();
    consumer_->append(0, envelope(4, 10min));
    run();
    ASSERT_TRUE(wait_until([&] { return committed(0) == 1; }));
    EXPECT_EQ(producer_->resets(), 1);
    EXPECT_THAT(producer_->acknowledged("products"), ElementsAre(R"({"id": 4})"));
}

}  // namespace
}  // namespace kt::workers
