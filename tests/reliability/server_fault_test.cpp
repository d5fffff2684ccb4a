// The development stack's real servers faulted under a continuous writer while the workers keep
// running: Apache Kafka or Elasticsearch (OpenSearch) SIGKILLed in the middle of a batch and
// restarted on the same data and ports, or paused with SIGSTOP past the clients' timeouts and
// resumed. Nothing may be lost. After a Kafka pause the group coordinator has moved: the
// workers' new assignments start at offsets kt read itself (librdkafka 2.0.2 would leave them
// unfetched, see kafka::Consumer). They fault the shared stack, so CTest runs them alone
// (RUN_SERIAL), and they skip when the stack runs a double instead.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <chrono>
#include <map>
#include <random>
#include <string>
#include <thread>

#include "tests/reliability/faults.hpp"
#include "tests/support/test_env.hpp"

namespace kt::reliability {
namespace {

using namespace std::chrono_literals;

/// While the fault is injected every index query takes this long, so that it lands on a batch
/// in flight.
constexpr int kQueryPauseMs = 500;

/// The stack's `server` SIGKILLed and restarted when `paused` is zero, else SIGSTOPped for that
/// long and resumed, at a random moment inside a batch's query. A Kafka fault also hits a worker
/// that produces: every change then goes through kt-delayer.
FaultScenario server_fault(std::string name, std::string label, std::string server,
                           std::chrono::seconds paused,
                           std::map<std::string, std::string> kafka_properties) {
    const bool kafka = server == "kafka";
    auto fault = [kafka, paused](FaultRun& run) {
        Scenario& s = run.scenario;
        StackServer& stack_server = *run.doubles.server;
        // The fault lands at a random moment inside a batch's query: right after indexer-1
        // finished a batch, its next one (the writer never stops) spends kQueryPauseMs in the
        // query.
        fault_moment(run.rng, 1000, 3000);
        s.set_query_pause(kQueryPauseMs);
        auto& indexer = s.worker("indexer-1");
        const auto batches = indexer.count_in_log("batch of");
        ASSERT_TRUE(indexer.wait_for_log("batch of", 30s, batches + 2)) << s.logs();
        fault_moment(run.rng, 0, kQueryPauseMs - 100);

        const auto before = s.updates();
        const auto started = std::chrono::steady_clock::now();
        if (paused.count() == 0) {
            stack_server.kill();
            stack_server.restart();
        } else {
            stack_server.pause();
            std::this_thread::sleep_for(paused);  // how long the server stays paused
            stack_server.resume();
        }
        const double down =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        const auto during = s.updates() - before;
        s.set_query_pause(0);
        // The writer keeps going after the fault: a second's worth of changes more.
        const auto after = s.updates();
        const auto ended = std::chrono::steady_clock::now();
        EXPECT_TRUE(test::wait_until([&] { return s.updates() >= after + 250; }, 60s, 100ms))
            << "the writer did not get going again after the fault\n"
            << s.logs();
        const double resumed =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - ended).count();

        const std::string logs = s.logs(1 << 20);
        std::size_t retries = 0;
        for (auto at = logs.find("retrying"); at != std::string::npos;
             at = logs.find("retrying", at + 1)) {
            ++retries;
        }
        run.note = fmt::format("{} {:.1f} s, {} updates meanwhile, the next 250 in {:.1f} s; "
                               "{} worker retries, {} writer retries",
                               paused.count() == 0 ? "down" : "paused", down, during, resumed,
                               retries, s.writer_retries());
        run.after = [&s, kafka, during, down, retries] {
            if (kafka) {
                // The application's flush waits for Kafka (unhindered, the writer makes about
                // 250 changes a second); a restarted broker serves a little before the stack
                // calls it ready.
                EXPECT_LT(during, static_cast<std::int64_t>(25 * down))
                    << "the writer kept going; Kafka was not down";
            } else {
                EXPECT_GT(retries, 0u)
                    << "no worker retried; the fault never reached the indexers\n"
                    << s.logs();
            }
        };
    };
    std::vector<std::pair<std::string, std::string>> workers = two_indexers();
    std::vector<std::string> assigned{"indexer-1"};
    if (kafka) {
        workers.emplace_back("delayer", "kt-delayer");
        assigned.emplace_back("delayer");
    }
    return FaultScenario{std::move(name),
                         std::move(label),
                         Double::kNone,
                         std::move(server),
                         [properties = std::move(kafka_properties)](ScenarioOptions& o,
                                                                    Doubles&) {
                             o.kafka_properties = properties;
                             o.pausable_query = true;
                         },
                         std::move(workers),
                         std::move(assigned),
                         kafka ? WriterMode::kDelayed : WriterMode::kInstant,
                         std::move(fault)};
}

// The test names carry RealServerFaults: CTest runs them alone (tests/reliability/CMakeLists.txt).
INSTANTIATE_TEST_SUITE_P(
    RealServerFaults, Faults,
    ::testing::Values(
        server_fault("KafkaKilledAndRestarted",
                     "Kafka SIGKILLed mid-batch, restarted (same data and ports)", "kafka", 0s,
                     {}),
        // Past the workers' 6 s sessions (the harness's) and 10 s request timeouts, and past
        // the broker's own 9 s session with its controller: it is fenced when it resumes.
        server_fault("KafkaPausedPastTheTimeouts",
                     "Kafka paused (SIGSTOP) 15 s: sessions 6 s, requests 10 s", "kafka", 15s,
                     {{"socket.timeout.ms", "10000"}}),
        server_fault("SearchKilledAndRestarted",
                     "search node SIGKILLed mid-batch, restarted (same data and port)", "search",
                     0s, {}),
        // Past kt's Elasticsearch request timeout (elasticsearch.timeout, 10 s in the harness).
        server_fault("SearchPausedPastTheTimeout",
                     "search node paused (SIGSTOP) 15 s: kt's timeout 10 s", "search", 15s, {})),
    scenario_name);

}  // namespace
}  // namespace kt::reliability
