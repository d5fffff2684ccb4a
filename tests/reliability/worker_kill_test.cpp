// Every worker kind SIGKILLed at random moments, over and over, and restarted, while an
// application keeps changing rows: the index must end equal to the table.
#include <gtest/gtest.h>
#include <signal.h>

#include <fmt/format.h>

#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/reliability/harness.hpp"
#include "tests/support/test_env.hpp"

namespace kt::reliability {
namespace {

using namespace std::chrono_literals;

constexpr auto kStartDeadline = 60s;
constexpr auto kExitDeadline = 10s;
constexpr auto kChaos = 24s;

ScenarioOptions shared_stack() {
    ScenarioOptions o;
    // A departed member holds its partitions until its session times out: keep that short.
    o.kafka_properties = {{"session.timeout.ms", "3000"}, {"heartbeat.interval.ms", "300"}};
    o.brokers = test::kafka_brokers();
    o.postgres_url = test::postgres_url();
    o.es_url = test::es_url();
    return o;
}

/// For kChaos: kills a random slot of `victims` at a random moment 0.3 to 3 s after the
/// group gave the last restarted process its partitions (or after 20 s), and restarts it at
/// once. Returns "kills=N (M after a batch)": how many, and how many victims had logged a batch.
std::string kill_repeatedly(Scenario& s, const std::vector<std::string>& victims,
                            const std::string& binary, std::mt19937_64& rng) {
    std::uniform_int_distribution<int> pause_ms(300, 3000);
    std::uniform_int_distribution<std::size_t> pick(0, victims.size() - 1);
    int kills = 0;
    int mid_stream = 0;
    const auto until = std::chrono::steady_clock::now() + kChaos;
    while (std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));  // fault moment
        const std::string& slot = victims[pick(rng)];
        auto& victim = s.worker(slot);
        if (victim.count_in_log("batch of") > 0) ++mid_stream;
        victim.kill();
        EXPECT_EQ(victim.wait_exit(kExitDeadline), 128 + SIGKILL);
        ++kills;
        auto& restarted = s.start_worker(slot, binary);
        (void)restarted.wait_for_log("assigned", 20s);
    }
    return fmt::format("kills={} ({} after a batch)", kills, mid_stream);
}

TEST(WorkerKills, SeveralIndexersInOneGroupKilledAndRestarted) {
    const auto seed = test_seed();
    std::mt19937_64 rng(seed);
    Scenario s(shared_stack());
    const std::vector<std::string> indexers{"indexer-1", "indexer-2", "indexer-3"};
    for (const auto& slot : indexers) s.start_worker(slot, "kt-indexer");
    ASSERT_TRUE(s.worker("indexer-1").wait_for_log("assigned", kStartDeadline)) << s.logs();
    s.seed_rows();
    s.start_writer(WriterMode::kInstant, seed);
    const auto note = kill_repeatedly(s, indexers, "kt-indexer", rng);
    Scenario::Convergence c;
    const auto row = finish_run(s, "SIGKILL kt-indexer (3 in a group)", seed, note, &c);
    EXPECT_TRUE(nothing_lost(s, c, row));
}

TEST(WorkerKills, DelayersKilledAndRestartedReleaseEveryEnvelope) {
    const auto seed = test_seed();
    std::mt19937_64 rng(seed);
    Scenario s(shared_stack());
    s.start_worker("indexer", "kt-indexer");
    const std::vector<std::string> delayers{"delayer-1", "delayer-2"};
    for (const auto& slot : delayers) s.start_worker(slot, "kt-delayer");
    ASSERT_TRUE(s.worker("delayer-1").wait_for_log("assigned", kStartDeadline)) << s.logs();
    s.seed_rows();
    // Only delay envelopes: every change reaches the index through a kt-delayer release.
    s.start_writer(WriterMode::kDelayed, seed);
    const auto note = kill_repeatedly(s, delayers, "kt-delayer", rng);
    Scenario::Convergence c;
    const auto row = finish_run(s, "SIGKILL kt-delayer (2)", seed, note, &c);
    EXPECT_TRUE(nothing_lost(s, c, row));
}

TEST(WorkerKills, CascadersKilledAndRestartedReachEveryChild) {
    const auto seed = test_seed();
    std::mt19937_64 rng(seed);
    Scenario s(shared_stack());
    s.start_worker("indexer", "kt-indexer");
    const std::vector<std::string> cascaders{"cascader-1", "cascader-2"};
    for (const auto& slot : cascaders) s.start_worker(slot, "kt-cascader");
    ASSERT_TRUE(s.worker("cascader-1").wait_for_log("assigned", kStartDeadline)) << s.logs();
    s.seed_rows();
    // Parent renames only: every document change comes from a cascade.
    s.start_writer(WriterMode::kParents, seed);
    const auto note = kill_repeatedly(s, cascaders, "kt-cascader", rng);
    Scenario::Convergence c;
    const auto row = finish_run(s, "SIGKILL kt-cascader (2)", seed, note, &c);
    EXPECT_TRUE(nothing_lost(s, c, row));
}

}  // namespace
}  // namespace kt::reliability
