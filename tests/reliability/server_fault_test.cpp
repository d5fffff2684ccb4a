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

#include "tests/reliability/harness.hpp"
#include "tests/support/test_env.hpp"

namespace kt::reliability {
namespace {

using namespace std::chrono_literals;

constexpr auto kStartDeadline = 60s;
/// While the fault is injected every index query takes this long, so that it lands on a batch
/// in flight.
constexpr int kQueryPauseMs = 500;

struct ServerFault {
    std::string name;    ///< test name
    std::string label;   ///< report label
    std::string server;  ///< `kafka` or `search` (scripts/stack.sh)
    /// SIGKILL and restart when zero, else SIGSTOP for this long, then SIGCONT.
    std::chrono::seconds paused{0};
    /// Extra librdkafka properties for the workers.
    std::map<std::string, std::string> kafka_properties;
};

void PrintTo(const ServerFault& fault, std::ostream* out) { *out << fault.name; }

class RealServerFaults : public ::testing::TestWithParam<ServerFault> {};

TEST_P(RealServerFaults, WorkersRideItOutWithNothingLost) {
    const ServerFault& fault = GetParam();
    if (const std::string why = real_server_missing(fault.server); !why.empty()) {
        GTEST_SKIP() << why;
    }
    const bool kafka = fault.server == "kafka";
    const auto seed = test_seed();
    std::mt19937_64 rng(seed);
    StackServer server(fault.server);
    ScenarioOptions o;
    o.brokers = test::kafka_brokers();
    o.postgres_url = test::postgres_url();
    o.es_url = test::es_url();
    o.kafka_properties = fault.kafka_properties;
    o.pausable_query = true;
    Scenario s(o);
    s.start_worker("indexer-1", "kt-indexer");
    s.start_worker("indexer-2", "kt-indexer");
    // A Kafka fault also hits a worker that produces: every change goes through kt-delayer.
    if (kafka) s.start_worker("delayer", "kt-delayer");
    ASSERT_TRUE(s.worker("indexer-1").wait_for_log("assigned", kStartDeadline)) << s.logs();
    if (kafka) {
        ASSERT_TRUE(s.worker("delayer").wait_for_log("assigned", kStartDeadline)) << s.logs();
    }
    s.seed_rows();
    s.start_writer(kafka ? WriterMode::kDelayed : WriterMode::kInstant, seed);

    // The fault lands at a random moment inside a batch's query: right after indexer-1 finished
    // a batch, its next one (the writer never stops) spends kQueryPauseMs in the query.
    std::this_thread::sleep_for(std::chrono::milliseconds(
        std::uniform_int_distribution<int>(1000, 3000)(rng)));  // fault moment
    s.set_query_pause(kQueryPauseMs);
    auto& indexer = s.worker("indexer-1");
    const auto batches = indexer.count_in_log("batch of");
    ASSERT_TRUE(indexer.wait_for_log("batch of", 30s, batches + 2)) << s.logs();
    std::this_thread::sleep_for(std::chrono::milliseconds(
        std::uniform_int_distribution<int>(0, kQueryPauseMs - 100)(rng)));  // fault moment

    const auto before = s.updates();
    const auto started = std::chrono::steady_clock::now();
    if (fault.paused.count() == 0) {
        server.kill();
        server.restart();
    } else {
        server.pause();
        std::this_thread::sleep_for(fault.paused);  // how long the server stays paused
        server.resume();
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
    Scenario::Convergence c;
    const auto row = finish_run(
        s, fault.label, seed,
        fmt::format("{} {:.1f} s, {} updates meanwhile, the next 250 in {:.1f} s; "
                    "{} worker retries, {} writer retries",
                    fault.paused.count() == 0 ? "down" : "paused", down, during, resumed,
                    retries, s.writer_retries()),
        &c);
    if (kafka) {
        // The application's flush waits for Kafka (unhindered, the writer makes about 250
        // changes a second); a restarted broker serves a little before the stack calls it ready.
        EXPECT_LT(during, static_cast<std::int64_t>(25 * down))
            << "the writer kept going; Kafka was not down";
    } else {
        EXPECT_GT(retries, 0u) << "no worker retried; the fault never reached the indexers\n"
                               << s.logs();
    }
    EXPECT_TRUE(nothing_lost(s, c, row));
}

INSTANTIATE_TEST_SUITE_P(
    Reliability, RealServerFaults,
    ::testing::Values(
        ServerFault{"KafkaKilledAndRestarted",
                    "Kafka SIGKILLed mid-batch, restarted (same data and ports)", "kafka", 0s,
                    {}},
        // Past the workers' 6 s sessions (the harness's) and 10 s request timeouts, and past
        // the broker's own 9 s session with its controller: it is fenced when it resumes.
        ServerFault{"KafkaPausedPastTheTimeouts",
                    "Kafka paused (SIGSTOP) 15 s: sessions 6 s, requests 10 s", "kafka", 15s,
                    {{"socket.timeout.ms", "10000"}}},
        ServerFault{"SearchKilledAndRestarted",
                    "search node SIGKILLed mid-batch, restarted (same data and port)",
                    "search", 0s, {}},
        // Past kt's Elasticsearch request timeout (elasticsearch.timeout, 10 s in the harness).
        ServerFault{"SearchPausedPastTheTimeout",
                    "search node paused (SIGSTOP) 15 s: kt's timeout 10 s", "search", 15s,
                    {}}),
    [](const ::testing::TestParamInfo<ServerFault>& param_info) {
        return param_info.param.name;
    });

}  // namespace
}  // namespace kt::reliability
