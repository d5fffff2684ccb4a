// The one shape of every fault scenario (the scenarios are in the other *_test.cpp files here):
// workers on a fresh Scenario, a continuous writer, the fault, then the index must converge to
// its table with nothing lost and no worker dead.
#include "tests/reliability/faults.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/support/test_env.hpp"

namespace kt::reliability {

using namespace std::chrono_literals;

std::vector<std::pair<std::string, std::string>> two_indexers() {
    return {{"indexer-1", "kt-indexer"}, {"indexer-2", "kt-indexer"}};
}

void fault_moment(std::mt19937_64& rng, int from_ms, int to_ms) {
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(from_ms, to_ms)(rng)));
}

void restart_postgres(FaultRun& run, const std::string& mode, int times) {
    std::uniform_int_distribution<int> up_ms(1500, 5000);
    std::uniform_int_distribution<int> down_ms(500, 3000);
    for (int i = 0; i < times; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(up_ms(run.rng)));  // moment
        run.doubles.postgres->stop(mode);
        std::this_thread::sleep_for(std::chrono::milliseconds(down_ms(run.rng)));  // outage
        run.doubles.postgres->start();
    }
}

TEST_P(Faults, NothingIsLost) {
    const FaultScenario& fault = GetParam();
    if (!fault.real_server.empty()) {
        if (const std::string why = real_server_missing(fault.real_server); !why.empty()) {
            GTEST_SKIP() << why;
        }
    }
    const auto seed = test_seed();
    std::mt19937_64 rng(seed);
    Doubles doubles;
    if (!fault.real_server.empty()) {
        doubles.server = std::make_unique<StackServer>(fault.real_server);
    }
    ScenarioOptions o;
    o.brokers = test::kafka_brokers();
    o.postgres_url = test::postgres_url();
    o.es_url = test::es_url();
    switch (fault.on) {
        case Double::kNone:
            break;
        case Double::kStandin:
            doubles.standin = std::make_unique<test::PrivateStandin>();
            o.es_url = doubles.standin->url();
            break;
        case Double::kBroker:
            doubles.broker = std::make_unique<PrivateBroker>();
            o.brokers = doubles.broker->brokers();
            o.control = doubles.broker->control();
            break;
        case Double::kPostgres:
            doubles.postgres = std::make_unique<PrivatePostgres>();
            o.postgres_url = doubles.postgres->url();
            break;
    }
    if (fault.configure) fault.configure(o, doubles);
    Scenario s(o);
    for (const auto& [slot, binary] : fault.workers) s.start_worker(slot, binary);
    for (const auto& slot : fault.assigned) {
        ASSERT_TRUE(s.worker(slot).wait_for_log("assigned", kStartDeadline)) << s.logs();
    }
    s.seed_rows();
    s.start_writer(fault.writer, seed);

    FaultRun run{s, doubles, rng, seed, {}, {}};
    fault.fault(run);
    if (HasFatalFailure()) return;
    Scenario::Convergence c;
    const auto row = finish_run(s, fault.label, seed, run.note, &c);
    if (run.after) run.after();
    EXPECT_TRUE(nothing_lost(s, c, row));
}

}  // namespace kt::reliability
