// The broker side: group rebalances in the middle of batches, a broker that becomes
// unreachable for a while (a private kt-devbroker), and a topic with more partitions than
// workers. Nothing may be lost.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <random>
#include <string>
#include <thread>

#include "tests/reliability/faults.hpp"

namespace kt::reliability {
namespace {

using namespace std::chrono_literals;

/// Another member joins, gets partitions, and leaves again at a random moment, four times.
void member_visits(FaultRun& run) {
    Scenario& s = run.scenario;
    std::uniform_int_distribution<int> stay_ms(200, 2000);
    constexpr int kVisits = 4;
    int joined = 0;
    for (int i = 0; i < kVisits; ++i) {
        auto& visitor = s.start_worker("visitor", "kt-indexer");
        if (visitor.wait_for_log("assigned", kStartDeadline)) ++joined;
        std::this_thread::sleep_for(std::chrono::milliseconds(stay_ms(run.rng)));  // fault moment
        visitor.terminate();
        EXPECT_EQ(visitor.wait_exit(kExitDeadline), 0) << visitor.log();
    }
    run.doubles.standin->clear_faults();
    run.note = fmt::format("visits={} joined={}", kVisits, joined);
    run.after = [&s, joined] {
        EXPECT_GT(joined, 0) << "the visitor never joined; the test proves nothing\n" << s.logs();
    };
}

/// Taking the broker down and up is a fault of kt-devbroker's control endpoint: this scenario
/// runs on a private one, also when the stack runs Apache Kafka.
void broker_unreachable(FaultRun& run) {
    Scenario& s = run.scenario;
    fault_moment(run.rng, 1000, 4000);
    const auto before = s.updates();
    run.doubles.broker->down();
    std::this_thread::sleep_for(8s);  // how long the broker stays unreachable
    // The application's flush waits for Kafka: at most the rounds in hand got through
    // (unhindered, the writer makes about 2,000 changes in 8 s).
    const auto during = s.updates() - before;
    run.doubles.broker->up();
    EXPECT_LE(during, 40) << "the writer kept going; the broker was not unreachable";
    std::this_thread::sleep_for(3s);  // the writer keeps going after the outage
    run.note = fmt::format("{} updates during the outage", during);
}

/// Halfway, one indexer dies and comes back: its 8 partitions move twice.
void indexer_dies_and_returns(FaultRun& run) {
    Scenario& s = run.scenario;
    fault_moment(run.rng, 3000, 8000);
    s.worker("indexer-2").kill();
    EXPECT_EQ(s.worker("indexer-2").wait_exit(kExitDeadline), 128 + SIGKILL);
    s.start_worker("indexer-2", "kt-indexer");
    std::this_thread::sleep_for(8s);  // writes continue while the group settles
    run.note = "kills=1";
}

INSTANTIATE_TEST_SUITE_P(
    BrokerFaults, Faults,
    ::testing::Values(
        // Every Elasticsearch request takes 300 ms, so a rebalance almost always finds a batch
        // in flight.
        FaultScenario{"RebalancesInTheMiddleOfBatchesOnStandin",
                      "rebalance mid-batch (member joins, leaves)",
                      Double::kStandin,
                      {},
                      [](ScenarioOptions&, Doubles& d) {
                          d.standin->set_faults({{"latency_ms", 300}});
                      },
                      two_indexers(),
                      {"indexer-1"},
                      WriterMode::kInstant,
                      member_visits},
        // Delay envelopes: the delayer consumes and produces through the outage too.
        FaultScenario{"BrokerUnreachableForEightSecondsOnDevbroker",
                      "broker unreachable for 8 s",
                      Double::kBroker,
                      {},
                      {},
                      {{"indexer-1", "kt-indexer"},
                       {"indexer-2", "kt-indexer"},
                       {"delayer", "kt-delayer"}},
                      {"indexer-1", "delayer"},
                      WriterMode::kDelayed,
                      broker_unreachable},
        FaultScenario{"MorePartitionsThanWorkers",
                      "16 partitions, 2 indexers, 1 cascader",
                      Double::kNone,
                      {},
                      [](ScenarioOptions& o, Doubles&) { o.partitions = 16; },
                      {{"indexer-1", "kt-indexer"},
                       {"indexer-2", "kt-indexer"},
                       {"cascader", "kt-cascader"}},
                      {"indexer-1"},
                      WriterMode::kParents,
                      indexer_dies_and_returns}),
    scenario_name);

}  // namespace
}  // namespace kt::reliability
