// SIGTERM while kt-indexer retries a batch Elasticsearch keeps refusing: every indexer exits 0
// within 10 s and commits nothing that was not written, so fresh indexers write it all.
#include <gtest/gtest.h>

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

TEST(ShutdownOnStandin, SigtermDuringALongElasticsearchRetryExitsInTimeAndCommitsNothingUnwritten) {
    const auto seed = test_seed();
    std::mt19937_64 rng(seed);
    test::PrivateStandin standin;
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
    std::this_thread::sleep_for(std::chrono::milliseconds(
        std::uniform_int_distribution<int>(500, 3000)(rng)));  // fault moment
    standin.set_faults({{"unavailable", true}});
    // The writer goes on for a while, then stops: every id it changed is on the topic, and
    // only an indexer that commits what it did not write could lose one.
    std::this_thread::sleep_for(3s);
    s.stop_writer();
    for (const auto& slot : {"indexer-1", "indexer-2"}) {
        ASSERT_TRUE(s.worker(slot).wait_for_log("retrying", kStartDeadline)) << s.logs();
    }
    // Into the retry: the backoff has grown to seconds by now.
    std::this_thread::sleep_for(std::chrono::milliseconds(
        std::uniform_int_distribution<int>(2000, 6000)(rng)));  // fault moment
    double slowest = 0;
    for (const auto& slot : {"indexer-1", "indexer-2"}) {
        auto& indexer = s.worker(slot);
        const auto asked = std::chrono::steady_clock::now();
        indexer.terminate();
        EXPECT_EQ(indexer.wait_exit(kExitDeadline), 0) << indexer.log();
        const double took =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count();
        slowest = std::max(slowest, took);
        EXPECT_LT(took, 10.0) << slot;
    }
    standin.clear_faults();
    s.start_worker("indexer-1", "kt-indexer");
    s.start_worker("indexer-2", "kt-indexer");
    Scenario::Convergence c;
    const auto row = finish_run(s, "SIGTERM during ES retry", seed,
                                fmt::format("slowest exit {:.1f}s", slowest), &c);
    EXPECT_TRUE(nothing_lost(s, c, row));
}

}  // namespace
}  // namespace kt::reliability
