// PostgreSQL failing under a continuous writer: the server restarted (fast and immediate
// shutdown, on a private cluster), queries cancelled by statement_timeout, and the workers'
// connections terminated by pg_terminate_backend. Nothing may be lost.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include <chrono>
#include <random>
#include <string>
#include <thread>

#include "tests/reliability/faults.hpp"
#include "tests/support/test_env.hpp"

namespace kt::reliability {
namespace {

using namespace std::chrono_literals;

/// Three restarts of the private PostgreSQL at random moments, each down for 0.5 to 3 s.
std::function<void(FaultRun&)> restarts(const std::string& mode) {
    return [mode](FaultRun& run) {
        Scenario& s = run.scenario;
        constexpr int kRestarts = 3;
        restart_postgres(run, mode, kRestarts);
        run.note = fmt::format("restarts={} writer_retries={}", kRestarts, s.writer_retries());
        run.after = [&s] {
            EXPECT_GT(s.writer_retries(), 0)
                << "the writer never saw the server go; proves nothing";
        };
    };
}

/// Each batch's query sleeps 1.5 s for 10 s, beyond the workers' 1 s statement_timeout.
void statement_timeouts(FaultRun& run) {
    Scenario& s = run.scenario;
    fault_moment(run.rng, 500, 3000);
    s.set_query_pause(1500);
    std::this_thread::sleep_for(10s);  // how long the fault lasts
    s.set_query_pause(0);
    run.after = [&s, logs = s.logs(1 << 20)] {
        EXPECT_NE(logs.find("statement timeout"), std::string::npos)
            << "no query was cancelled; the test proves nothing\n"
            << s.logs();
    };
}

/// For 20 s, every 0.2 to 1.5 s: pg_terminate_backend of every worker connection (found by
/// the application_name the options give the workers).
void terminated_backends(FaultRun& run) {
    const std::string params = run.scenario.options().worker_pg_params;
    const std::string application = params.substr(params.find('=') + 1);
    std::uniform_int_distribution<int> pause_ms(200, 1500);
    pqxx::connection admin(test::postgres_url());
    int terminated = 0;
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(run.rng)));  // moment
        pqxx::nontransaction tx(admin);
        terminated += tx.exec1(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = " +
            tx.quote(application))[0]
                          .as<int>();
    }
    run.note = fmt::format("terminated={}", terminated);
    run.after = [terminated] {
        EXPECT_GT(terminated, 0) << "no worker connection was found; the test proves nothing";
    };
}

std::vector<std::pair<std::string, std::string>> indexers_and_cascader() {
    return {{"indexer-1", "kt-indexer"}, {"indexer-2", "kt-indexer"}, {"cascader", "kt-cascader"}};
}

INSTANTIATE_TEST_SUITE_P(
    PostgresFaults, Faults,
    ::testing::Values(
        FaultScenario{"FastShutdownRestarts", "PostgreSQL restart (fast)", Double::kPostgres, {},
                      {}, indexers_and_cascader(), {"indexer-1"}, WriterMode::kInstant,
                      restarts("fast")},
        FaultScenario{"ImmediateShutdownRestarts", "PostgreSQL restart (immediate)",
                      Double::kPostgres, {}, {}, indexers_and_cascader(), {"indexer-1"},
                      WriterMode::kInstant, restarts("immediate")},
        FaultScenario{"StatementTimeoutCancelsTheLoadWhichIsRetried",
                      "PostgreSQL statement timeout (10 s)", Double::kNone, {},
                      [](ScenarioOptions& o, Doubles&) {
                          o.worker_pg_params = "options=-c%20statement_timeout%3D1000";
                          o.pausable_query = true;
                      },
                      two_indexers(), {"indexer-1"}, WriterMode::kInstant, statement_timeouts},
        FaultScenario{"TerminatedBackendsAreReconnected", "pg_terminate_backend of the workers",
                      Double::kNone, {},
                      [](ScenarioOptions& o, Doubles&) {
                          o.worker_pg_params =
                              "application_name=" + test::unique_name("relworkers");
                      },
                      indexers_and_cascader(), {"indexer-1"}, WriterMode::kInstant,
                      terminated_backends}),
    scenario_name);

}  // namespace
}  // namespace kt::reliability
