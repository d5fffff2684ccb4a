// The broker side: group rebalances in the middle of batches, a broker that becomes
// unreachable for a while (a private kt-devbroker), and a topic with more partitions than
// workers. Nothing may be lost.
#include <gtest/gtest.h>
#include <signal.h>

#include <fmt/format.h>

#include <chrono>
#include <random>
#include <string>
#include <thread>

#include "tests/reliability/harness.hpp"
#include "tests/support/dev_stack.hpp"
#include "tests/support/test_env.hpp"

namespace kt::reliability {
namespace {

using namespace std::chrono_literals;

constexpr auto kStartDeadline = 60s;
constexpr auto kExitDeadline = 10s;

TEST(BrokerFaults, RebalancesInTheMiddleOfBatchesLoseNothing) {
    const auto seed = test_seed();
    std::mt19937_64 rng(seed);
    // Every Elasticsearch request takes 300 ms, so a rebalance almost always finds a batch in
    // flight.
    test::PrivateStandin standin;
    standin.set_faults({{"latency_ms", 300}});
    ScenarioOptions o;
    o.brokers = test::kafka_brokers();
    o.postgres_url = test::postgres_url();
    o.es_url = standin.url();
    Scenario s(o);
    s.start_worker("indexer-1", "kt-indexer");
    s.start_worker("indexer-2", "kt-indexer");
    ASSERT_TRUE(s.worker("indexer-1").wait_for_log("assigned", kStartDeadline)) << s.logs();
    s.seed_rows();
    s.start_writer(WriterMode::kInstant, seed);

    // Another member joins, gets partitions, and leaves again at a random moment, four times.
    std::uniform_int_distribution<int> stay_ms(200, 2000);
    constexpr int kVisits = 4;
    int joined = 0;
    for (int i = 0; i < kVisits; ++i) {
        auto& visitor = s.start_worker("visitor", "kt-indexer");
        if (visitor.wait_for_log("assigned", kStartDeadline)) ++joined;
        std::this_thread::sleep_for(std::chrono::milliseconds(stay_ms(rng)));  // fault moment
        visitor.terminate();
        EXPECT_EQ(visitor.wait_exit(kExitDeadline), 0) << visitor.log();
    }
    standin.clear_faults();
    Scenario::Convergence c;
    const auto row = finish_run(s, "rebalance mid-batch (member joins, leaves)", seed,
                                fmt::format("visits={} joined={}", kVisits, joined), &c);
    EXPECT_GT(joined, 0) << "the visitor never joined; the test proves nothing\n" << s.logs();
    EXPECT_TRUE(nothing_lost(s, c, row));
}

// Taking the broker down and up is a fault of kt-devbroker's control endpoint: this test runs on
// a private one, also when the stack runs Apache Kafka.
TEST(BrokerFaultsOnDevbroker, BrokerUnreachableForEightSecondsLosesNothing) {
    const auto seed = test_seed();
    std::mt19937_64 rng(seed);
    PrivateBroker broker;
    ScenarioOptions o;
    o.brokers = broker.brokers();
    o.control = broker.control();
    o.postgres_url = test::postgres_url();
    o.es_url = test::es_url();
    Scenario s(o);
    s.start_worker("indexer-1", "kt-indexer");
    s.start_worker("indexer-2", "kt-indexer");
    s.start_worker("delayer", "kt-delayer");
    ASSERT_TRUE(s.worker("indexer-1").wait_for_log("assigned", kStartDeadline)) << s.logs();
    ASSERT_TRUE(s.worker("delayer").wait_for_log("assigned", kStartDeadline)) << s.logs();
    s.seed_rows();
    // Delay envelopes: the delayer consumes and produces through the outage too.
    s.start_writer(WriterMode::kDelayed, seed);
    std::this_thread::sleep_for(std::chrono::milliseconds(
        std::uniform_int_distribution<int>(1000, 4000)(rng)));  // fault moment
    const auto before = s.updates();
    broker.down();
    std::this_thread::sleep_for(8s);  // how long the broker stays unreachable
    // The application's flush waits for Kafka: at most the rounds in hand got through
    // (unhindered, the writer makes about 2,000 changes in 8 s).
    const auto during = s.updates() - before;
    broker.up();
    EXPECT_LE(during, 40) << "the writer kept going; the broker was not unreachable";
    std::this_thread::sleep_for(3s);  // the writer keeps going after the outage
    Scenario::Convergence c;
    const auto row = finish_run(s, "broker unreachable for 8 s", seed,
                                fmt::format("{} updates during the outage", during), &c);
    EXPECT_TRUE(nothing_lost(s, c, row));
}

TEST(BrokerFaults, MorePartitionsThanWorkersLosesNothing) {
    const auto seed = test_seed();
    std::mt19937_64 rng(seed);
    ScenarioOptions o;
    o.brokers = test::kafka_brokers();
    o.postgres_url = test::postgres_url();
    o.es_url = test::es_url();
    o.partitions = 16;
    Scenario s(o);
    s.start_worker("indexer-1", "kt-indexer");
    s.start_worker("indexer-2", "kt-indexer");
    s.start_worker("cascader", "kt-cascader");
    ASSERT_TRUE(s.worker("indexer-1").wait_for_log("assigned", kStartDeadline)) << s.logs();
    s.seed_rows();
    s.start_writer(WriterMode::kParents, seed);
    // Halfway, one indexer dies and comes back: its 8 partitions move twice.
    std::this_thread::sleep_for(std::chrono::milliseconds(
        std::uniform_int_distribution<int>(3000, 8000)(rng)));  // fault moment
    s.worker("indexer-2").kill();
    EXPECT_EQ(s.worker("indexer-2").wait_exit(kExitDeadline), 128 + SIGKILL);
    s.start_worker("indexer-2", "kt-indexer");
    std::this_thread::sleep_for(8s);  // writes continue while the group settles
    Scenario::Convergence c;
    const auto row = finish_run(s, "16 partitions, 2 indexers, 1 cascader", seed, "kills=1", &c);
    EXPECT_TRUE(nothing_lost(s, c, row));
}

}  // namespace
}  // namespace kt::reliability
