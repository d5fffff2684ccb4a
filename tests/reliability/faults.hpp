#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tests/reliability/harness.hpp"
#include "tests/support/dev_stack.hpp"

namespace kt::reliability {

/// How long a worker may take to be assigned its partitions, and to exit when asked.
inline constexpr std::chrono::seconds kStartDeadline{60};
inline constexpr std::chrono::seconds kExitDeadline{10};

/// The private process a scenario's fault needs instead of the stack's server.
enum class Double {
    kNone,      ///< the stack's servers only
    kStandin,   ///< a private kt-es-standin serves the index (name ends in OnStandin)
    kBroker,    ///< a private kt-devbroker is the Kafka (name ends in OnDevbroker)
    kPostgres,  ///< a private PostgreSQL cluster holds the tables
};

/// The private processes and stack servers of one run; they outlive its Scenario.
struct Doubles {
    std::unique_ptr<test::PrivateStandin> standin;
    std::unique_ptr<PrivateBroker> broker;
    std::unique_ptr<PrivatePostgres> postgres;
    std::unique_ptr<StackServer> server;
};

/// What a fault has at hand while it runs, and what it leaves for the end of the run.
struct FaultRun {
    Scenario& scenario;
    Doubles& doubles;
    std::mt19937_64& rng;
    std::uint64_t seed = 0;
    std::string note;  ///< the report row's note
    /// Checks made once the index converged (that the fault really reached the workers).
    std::function<void()> after;
};

/// One fault scenario, all of the same shape: workers start on a fresh Scenario, the rows are
/// seeded, a continuous writer runs, the fault comes and goes, then the index must converge to
/// its table with nothing lost and no worker dead.
struct FaultScenario {
    std::string name;   ///< test name
    std::string label;  ///< report label
    Double on = Double::kNone;
    /// For the stack's own `kafka` or `search` server faulted through scripts/stack.sh: the test
    /// skips when the stack runs a double instead.
    std::string real_server;
    /// Adjusts the options (the services are set already) and prepares the doubles.
    std::function<void(ScenarioOptions&, Doubles&)> configure;
    std::vector<std::pair<std::string, std::string>> workers;  ///< slot, executable
    std::vector<std::string> assigned;  ///< slots that must be assigned before the writes
    WriterMode writer = WriterMode::kInstant;
    /// Injects the fault while the writer runs and ends it.
    std::function<void(FaultRun&)> fault;
};

inline void PrintTo(const FaultScenario& scenario, std::ostream* out) { *out << scenario.name; }

/// The fault scenarios' one test (faults_test.cpp); each *_test.cpp here instantiates it.
class Faults : public ::testing::TestWithParam<FaultScenario> {};

/// The test name of a scenario.
inline std::string scenario_name(const ::testing::TestParamInfo<FaultScenario>& info) {
    return info.param.name;
}

/// Two indexers; writes once the first is assigned.
[[nodiscard]] std::vector<std::pair<std::string, std::string>> two_indexers();

/// Pauses the calling thread for a random time in [`from_ms`, `to_ms`]: the moment a fault
/// lands (or how long it lasts), drawn from the scenario's seed.
void fault_moment(std::mt19937_64& rng, int from_ms, int to_ms);

/// Restarts the private PostgreSQL `times` times with pg_ctl's `mode` (`fast` or `immediate`),
/// at random moments 1.5 to 5 s apart, each time down for 0.5 to 3 s.
void restart_postgres(FaultRun& run, const std::string& mode, int times);

}  // namespace kt::reliability
