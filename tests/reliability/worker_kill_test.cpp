// Every worker kind SIGKILLed at random moments, over and over, and restarted, while an
// application keeps changing rows: the index must end equal to the table.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/reliability/faults.hpp"

namespace kt::reliability {
namespace {

using namespace std::chrono_literals;

constexpr auto kChaos = 24s;

/// A departed member holds its partitions until its session times out: keep that short.
void short_sessions(ScenarioOptions& o, Doubles&) {
    o.kafka_properties = {{"session.timeout.ms", "3000"}, {"heartbeat.interval.ms", "300"}};
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

/// `victims` (slots of `binary`, beside `others`) killed and restarted for kChaos while the
/// writer runs in `mode`; writes start once the first victim is assigned.
FaultScenario kills(std::string name, std::string label,
                    std::vector<std::pair<std::string, std::string>> others,
                    const std::vector<std::string>& victims, const std::string& binary,
                    WriterMode mode) {
    auto workers = std::move(others);
    for (const auto& slot : victims) workers.emplace_back(slot, binary);
    return FaultScenario{std::move(name), std::move(label), Double::kNone, {}, short_sessions,
                         std::move(workers), {victims.front()}, mode,
                         [victims, binary](FaultRun& run) {
                             run.note = kill_repeatedly(run.scenario, victims, binary, run.rng);
                         }};
}

INSTANTIATE_TEST_SUITE_P(
    WorkerKills, Faults,
    ::testing::Values(
        kills("SeveralIndexersInOneGroupKilledAndRestarted", "SIGKILL kt-indexer (3 in a group)",
              {}, {"indexer-1", "indexer-2", "indexer-3"}, "kt-indexer", WriterMode::kInstant),
        // Only delay envelopes: every change reaches the index through a kt-delayer release.
        kills("DelayersKilledAndRestartedReleaseEveryEnvelope", "SIGKILL kt-delayer (2)",
              {{"indexer", "kt-indexer"}}, {"delayer-1", "delayer-2"}, "kt-delayer",
              WriterMode::kDelayed),
        // Parent renames only: every document change comes from a cascade.
        kills("CascadersKilledAndRestartedReachEveryChild", "SIGKILL kt-cascader (2)",
              {{"indexer", "kt-indexer"}}, {"cascader-1", "cascader-2"}, "kt-cascader",
              WriterMode::kParents)),
    scenario_name);

}  // namespace
}  // namespace kt::reliability
