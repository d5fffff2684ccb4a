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

#include "tests/reliability/harness.hpp"
#include "tests/support/test_env.hpp"

namespace kt::reliability {
namespace {

using namespace std::chrono_literals;

constexpr auto kStartDeadline = 60s;

ScenarioOptions on_stack(const std::string& postgres_url) {
    ScenarioOptions o;
    o.brokers = test::kafka_brokers();
    o.postgres_url = postgres_url;
    o.es_url = test::es_url();
    return o;
}

/// Three restarts of a private PostgreSQL at random moments, each down for 0.5 to 3 s.
void restarts_lose_nothing(const std::string& mode) {
    const auto seed = test_seed();
    std::mt19937_64 rng(seed);
    PrivatePostgres pg;
    Scenario s(on_stack(pg.url()));
    s.start_worker("indexer-1", "kt-indexer");
    s.start_worker("indexer-2", "kt-indexer");
    s.start_worker("cascader", "kt-cascader");
    ASSERT_TRUE(s.worker("indexer-1").wait_for_log("assigned", kStartDeadline)) << s.logs();
    s.seed_rows();
    s.start_writer(WriterMode::kInstant, seed);
    std::uniform_int_distribution<int> up_ms(1500, 5000);
    std::uniform_int_distribution<int> down_ms(500, 3000);
    constexpr int kRestarts = 3;
    for (int i = 0; i < kRestarts; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(up_ms(rng)));  // fault moment
        pg.stop(mode);
        std::this_thread::sleep_for(std::chrono::milliseconds(down_ms(rng)));  // outage length
        pg.start();
    }
    Scenario::Convergence c;
    const auto row = finish_run(s, "PostgreSQL restart (" + mode + ")", seed,
                                fmt::format("restarts={} writer_retries={}", kRestarts,
                                            s.writer_retries()),
                                &c);
    EXPECT_GT(s.writer_retries(), 0) << "the writer never saw the server go; proves nothing";
    EXPECT_TRUE(nothing_lost(s, c, row));
}

TEST(PostgresFaults, FastShutdownRestartsLoseNothing) { restarts_lose_nothing("fast"); }

TEST(PostgresFaults, ImmediateShutdownRestartsLoseNothing) { restarts_lose_nothing("immediate"); }

TEST(PostgresFaults, StatementTimeoutCancelsTheLoadWhichIsRetried) {
    const auto seed = test_seed();
    std::mt19937_64 rng(seed);
    ScenarioOptions o = on_stack(test::postgres_url());
    o.worker_pg_params = "options=-c%20statement_timeout%3D1000";
    o.pausable_query = true;
    Scenario s(o);
    s.start_worker("indexer-1", "kt-indexer");
    s.start_worker("indexer-2", "kt-indexer");
    ASSERT_TRUE(s.worker("indexer-1").wait_for_log("assigned", kStartDeadline)) << s.logs();
    s.seed_rows();
    s.start_writer(WriterMode::kInstant, seed);
    std::this_thread::sleep_for(std::chrono::milliseconds(
        std::uniform_int_distribution<int>(500, 3000)(rng)));  // fault moment
    // Each batch's query now sleeps 1.5 s, beyond the workers' 1 s statement_timeout.
    s.set_query_pause(1500);
    std::this_thread::sleep_for(10s);  // how long the fault lasts
    s.set_query_pause(0);
    const std::string logs = s.logs(1 << 20);
    Scenario::Convergence c;
    const auto row = finish_run(s, "PostgreSQL statement timeout (10 s)", seed, "", &c);
    EXPECT_NE(logs.find("statement timeout"), std::string::npos)
        << "no query was cancelled; the test proves nothing\n"
        << s.logs();
    EXPECT_TRUE(nothing_lost(s, c, row));
}

TEST(PostgresFaults, TerminatedBackendsAreReconnected) {
    const auto seed = test_seed();
    std::mt19937_64 rng(seed);
    const std::string application = test::unique_name("relworkers");
    ScenarioOptions o = on_stack(test::postgres_url());
    o.worker_pg_params = "application_name=" + application;
    Scenario s(o);
    s.start_worker("indexer-1", "kt-indexer");
    s.start_worker("indexer-2", "kt-indexer");
    s.start_worker("cascader", "kt-cascader");
    ASSERT_TRUE(s.worker("indexer-1").wait_for_log("assigned", kStartDeadline)) << s.logs();
    s.seed_rows();
    s.start_writer(WriterMode::kInstant, seed);
    std::uniform_int_distribution<int> pause_ms(200, 1500);
    pqxx::connection admin(test::postgres_url());
    int terminated = 0;
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));  // fault moment
        pqxx::nontransaction tx(admin);
        terminated += tx.exec1(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = " +
            tx.quote(application))[0]
                          .as<int>();
    }
    Scenario::Convergence c;
    const auto row = finish_run(s, "pg_terminate_backend of the workers", seed,
                                fmt::format("terminated={}", terminated), &c);
    EXPECT_GT(terminated, 0) << "no worker connection was found; the test proves nothing";
    EXPECT_TRUE(nothing_lost(s, c, row));
}

}  // namespace
}  // namespace kt::reliability
