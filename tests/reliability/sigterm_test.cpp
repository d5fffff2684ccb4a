// SIGTERM while kt-indexer retries a batch Elasticsearch keeps refusing: every indexer exits 0
// within 10 s and commits nothing that was not written, so fresh indexers write it all.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <string>
#include <thread>

#include "tests/reliability/faults.hpp"

namespace kt::reliability {
namespace {

using namespace std::chrono_literals;

/// Elasticsearch refuses every request; the writer goes on for a while, then stops: every id
/// it changed is on the topic, and only an indexer that commits what it did not write could
/// lose one. SIGTERM into the retry; fresh indexers then write it all.
void sigterm_during_retry(FaultRun& run) {
    Scenario& s = run.scenario;
    test::PrivateStandin& standin = *run.doubles.standin;
    fault_moment(run.rng, 500, 3000);
    standin.set_faults({{"unavailable", true}});
    std::this_thread::sleep_for(3s);
    s.stop_writer();
    for (const auto& slot : {"indexer-1", "indexer-2"}) {
        ASSERT_TRUE(s.worker(slot).wait_for_log("retrying", kStartDeadline)) << s.logs();
    }
    // Into the retry: the backoff has grown to seconds by now.
    fault_moment(run.rng, 2000, 6000);
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
    run.note = fmt::format("slowest exit {:.1f}s", slowest);
}

INSTANTIATE_TEST_SUITE_P(
    Shutdown, Faults,
    ::testing::Values(FaultScenario{
        "SigtermDuringALongElasticsearchRetryExitsInTimeAndCommitsNothingUnwrittenOnStandin",
        "SIGTERM during ES retry", Double::kStandin, {}, {}, two_indexers(), {"indexer-1"},
        WriterMode::kInstant, sigterm_during_retry}),
    scenario_name);

}  // namespace
}  // namespace kt::reliability
