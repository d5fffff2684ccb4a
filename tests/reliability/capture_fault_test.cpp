// kt-capture under faults: a writer changes the indexed rows, their parents and a child table
// with plain SQL only (no application message), kt-capture turns the slot's changes into ids and
// kt-indexer writes them, while PostgreSQL is restarted (fast and immediate, on a private
// cluster), the WAL sender is terminated again and again, or the stack's real Kafka is paused
// for 10 s. Afterwards the index must equal its tables: nothing lost.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include <chrono>
#include <csignal>
#include <random>
#include <string>
#include <thread>

#include "tests/reliability/faults.hpp"
#include "tests/support/test_env.hpp"

namespace kt::reliability {
namespace {

using namespace std::chrono_literals;

/// kt-capture and one kt-indexer; writes once the indexer is assigned (the slot exists before,
/// so every change is in it whenever kt-capture starts).
std::vector<std::pair<std::string, std::string>> capture_and_indexer() {
    return {{"capture", "kt-capture"}, {"indexer-1", "kt-indexer"}};
}

void captured(ScenarioOptions& o, Doubles&) { o.capture = true; }

/// Sessions kt-capture started after the first (its log says so each time).
std::size_t sessions_again(Scenario& s) {
    return s.worker("capture").count_in_log("streaming slot") - 1;
}

/// Three restarts of the private PostgreSQL at random moments, each down for 0.5 to 3 s.
std::function<void(FaultRun&)> restarts(const std::string& mode) {
    return [mode](FaultRun& run) {
        Scenario& s = run.scenario;
        ASSERT_TRUE(s.worker("capture").wait_for_log("streaming slot", kStartDeadline))
            << s.logs();
        constexpr int kRestarts = 3;
        restart_postgres(run, mode, kRestarts);
        // kt-capture streams again before the writer stops (the rest is convergence).
        const bool again = test::wait_until(
            [&] { return sessions_again(s) >= 1 && s.worker("capture").running(); }, 60s, 100ms);
        run.note = fmt::format("restarts={} capture sessions again={} writer_retries={}",
                               kRestarts, sessions_again(s), s.writer_retries());
        run.after = [&s, again] {
            EXPECT_TRUE(again) << "kt-capture never streamed again\n" << s.logs();
            EXPECT_GT(s.writer_retries(), 0)
                << "the writer never saw the server go; proves nothing";
        };
    };
}

/// For 20 s, every 0.3 to 2 s: pg_terminate_backend of the WAL sender that streams the slot.
void terminated_walsender(FaultRun& run) {
    Scenario& s = run.scenario;
    ASSERT_TRUE(s.worker("capture").wait_for_log("streaming slot", kStartDeadline)) << s.logs();
    std::uniform_int_distribution<int> pause_ms(300, 2000);
    pqxx::connection admin(s.options().postgres_url);
    int terminated = 0;
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(run.rng)));  // moment
        pqxx::nontransaction tx(admin);
        terminated += tx.exec1("SELECT count(*) FILTER (WHERE pg_terminate_backend(active_pid)) "
                               "FROM pg_replication_slots WHERE slot_name = " +
                               tx.quote(s.slot()) + " AND active_pid IS NOT NULL")[0]
                          .as<int>();
    }
    run.note = fmt::format("terminated={} capture sessions again={}", terminated,
                           sessions_again(s));
    run.after = [&s, terminated] {
        EXPECT_GT(terminated, 5) << "the WAL sender was hardly ever found; proves little";
        EXPECT_GE(sessions_again(s), 1U) << s.logs();
    };
}

/// kt-capture SIGKILLed at random moments (0.3 to 3 s apart) for 20 s and started again at once.
void killed_repeatedly(FaultRun& run) {
    Scenario& s = run.scenario;
    ASSERT_TRUE(s.worker("capture").wait_for_log("streaming slot", kStartDeadline)) << s.logs();
    std::uniform_int_distribution<int> pause_ms(300, 3000);
    int kills = 0;
    int streamed_again = 0;
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(run.rng)));  // moment
        auto& victim = s.worker("capture");
        victim.kill();
        EXPECT_EQ(victim.wait_exit(kExitDeadline), 128 + SIGKILL);
        ++kills;
        auto& restarted = s.start_worker("capture", "kt-capture");
        if (restarted.wait_for_log("streaming slot", 20s)) ++streamed_again;
    }
    run.note = fmt::format("kills={} streamed again={}", kills, streamed_again);
    run.after = [kills, streamed_again] { EXPECT_EQ(streamed_again, kills); };
}

INSTANTIATE_TEST_SUITE_P(
    CaptureFaults, Faults,
    ::testing::Values(
        FaultScenario{"PostgresFastShutdownRestarts",
                      "kt-capture: PostgreSQL restart (fast), writer on 3 tables",
                      Double::kPostgres, {}, captured, capture_and_indexer(), {"indexer-1"},
                      WriterMode::kCaptured, restarts("fast")},
        FaultScenario{"PostgresImmediateShutdownRestarts",
                      "kt-capture: PostgreSQL restart (immediate), writer on 3 tables",
                      Double::kPostgres, {}, captured, capture_and_indexer(), {"indexer-1"},
                      WriterMode::kCaptured, restarts("immediate")},
        FaultScenario{"CaptureKilledAndRestarted",
                      "kt-capture: SIGKILL and restart for 20 s, writer on 3 tables",
                      Double::kNone, {}, captured, capture_and_indexer(), {"indexer-1"},
                      WriterMode::kCaptured, killed_repeatedly},
        FaultScenario{"WalSenderTerminated",
                      "kt-capture: WAL sender terminated for 20 s, writer on 3 tables",
                      Double::kNone, {}, captured, capture_and_indexer(), {"indexer-1"},
                      WriterMode::kCaptured, terminated_walsender}),
    scenario_name);

/// The stack's real Kafka paused (SIGSTOP) for 10 s while kt-capture produces: it must keep its
/// replication connection, confirm nothing Kafka did not acknowledge, and carry on.
void kafka_paused(FaultRun& run) {
    Scenario& s = run.scenario;
    test::WorkerProcess& capture = s.worker("capture");
    ASSERT_TRUE(capture.wait_for_log("streaming slot", kStartDeadline)) << s.logs();
    fault_moment(run.rng, 1000, 3000);
    const auto before = s.updates();
    run.doubles.server->pause();
    std::this_thread::sleep_for(10s);  // how long Kafka stays unavailable
    run.doubles.server->resume();
    const auto during = s.updates() - before;
    // The writer's changes made meanwhile reach the index once Kafka is back.
    const auto after = s.updates();
    EXPECT_TRUE(test::wait_until([&] { return s.updates() >= after + 250; }, 60s, 100ms))
        << s.logs();
    run.note = fmt::format("paused 10 s, {} updates meanwhile; capture sessions again={}",
                           during, sessions_again(s));
    run.after = [&s, during] {
        EXPECT_GT(during, 500) << "the writer (plain SQL) should not wait for Kafka";
        EXPECT_EQ(sessions_again(s), 0U)
            << "kt-capture dropped its replication connection while Kafka was away\n"
            << s.logs();
    };
}

// The name carries RealServerFaults: CTest runs it alone (tests/reliability/CMakeLists.txt).
INSTANTIATE_TEST_SUITE_P(
    CaptureRealServerFaults, Faults,
    ::testing::Values(FaultScenario{"KafkaPaused10s",
                                    "kt-capture: real Kafka paused (SIGSTOP) 10 s",
                                    Double::kNone, "kafka", captured, capture_and_indexer(),
                                    {"indexer-1"}, WriterMode::kCaptured, kafka_paused}),
    scenario_name);

}  // namespace
}  // namespace kt::reliability
