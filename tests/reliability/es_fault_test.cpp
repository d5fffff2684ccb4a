// Elasticsearch misbehaving (a private stand-in with injected faults) under a continuous writer
// and two indexers: nothing may be lost, whatever the fault.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <random>
#include <string>
#include <thread>

#include "tests/reliability/harness.hpp"
#include "tests/support/dev_stack.hpp"
#include "tests/support/test_env.hpp"

namespace kt::reliability {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr auto kStartDeadline = 60s;
constexpr auto kFaultFor = 10s;

struct EsFault {
    std::string name;    ///< test name
    std::string label;   ///< report label
    json faults;         ///< PUT /_standin/faults body while the fault lasts
    bool spikes = false; ///< toggle the faults on and off at random moments instead
    std::string es_timeout = "10s";
    /// True when the stand-in's stats (or the logs) show that the fault hit the indexer.
    std::function<bool(const json& stats, const std::string& logs)> bit;
};

void PrintTo(const EsFault& fault, std::ostream* out) { *out << fault.name; }

class EsFaultsOnStandin : public ::testing::TestWithParam<EsFault> {};

TEST_P(EsFaultsOnStandin, IndexConvergesWithNothingLost) {
    const EsFault& fault = GetParam();
    const auto seed = test_seed();
    std::mt19937_64 rng(seed);
    test::PrivateStandin standin;
    ScenarioOptions o;
    o.brokers = test::kafka_brokers();
    o.postgres_url = test::postgres_url();
    o.es_url = standin.url();
    o.es_timeout = fault.es_timeout;
    Scenario s(o);
    s.start_worker("indexer-1", "kt-indexer");
    s.start_worker("indexer-2", "kt-indexer");
    ASSERT_TRUE(s.worker("indexer-1").wait_for_log("assigned", kStartDeadline)) << s.logs();
    s.seed_rows();
    s.start_writer(WriterMode::kInstant, seed);

    // The fault starts at a random moment within the first 3 s and lasts kFaultFor.
    std::this_thread::sleep_for(std::chrono::milliseconds(
        std::uniform_int_distribution<int>(500, 3000)(rng)));  // fault moment
    json faults = fault.faults;
    faults["seed"] = seed;
    int toggles = 0;
    const auto until = std::chrono::steady_clock::now() + kFaultFor;
    if (fault.spikes) {
        std::uniform_int_distribution<int> period_ms(300, 2000);
        bool on = false;
        while (std::chrono::steady_clock::now() < until) {
            on = !on;
            if (on) {
                standin.set_faults(faults);
            } else {
                standin.clear_faults();
            }
            ++toggles;
            std::this_thread::sleep_for(std::chrono::milliseconds(period_ms(rng)));
        }
    } else {
        standin.set_faults(faults);
        std::this_thread::sleep_for(kFaultFor);  // how long the fault lasts
    }
    standin.clear_faults();
    const json stats = standin.stats();
    const std::string note = fault.spikes ? "spikes=" + std::to_string((toggles + 1) / 2) : "";

    Scenario::Convergence c;
    const auto row = finish_run(s, fault.label, seed, note, &c);
    EXPECT_TRUE(fault.bit(stats, s.logs(1 << 20)))
        << "the fault never reached the indexer; the test proves nothing\n"
        << stats.dump();
    EXPECT_TRUE(nothing_lost(s, c, row));
}

std::int64_t stat(const json& stats, const std::string& key) {
    return stats.value(key, std::int64_t{0});
}

INSTANTIATE_TEST_SUITE_P(
    Reliability, EsFaultsOnStandin,
    ::testing::Values(
        EsFault{"TooManyRequestsStorm", "ES 429 storm (70% of bulks)",
                json{{"bulk_reject_fraction", 0.7}}, false, "10s",
                [](const json& st, const std::string&) {
                    return stat(st, "bulk_requests_rejected") > 0;
                }},
        EsFault{"ItemRejections", "ES item rejections (30% of items)",
                json{{"item_reject_fraction", 0.3}}, false, "10s",
                [](const json& st, const std::string&) {
                    return st.value("bulk_items", json::object()).value("rejected", 0) > 0;
                }},
        EsFault{"UnavailableForTenSeconds", "ES 503 for 10 s", json{{"unavailable", true}}, false,
                "10s",
                [](const json& st, const std::string&) {
                    return stat(st, "unavailable_responses") > 0;
                }},
        EsFault{"LatencySpikesBeyondTheTimeout", "ES latency spikes (3 s, timeout 2 s)",
                json{{"latency_ms", 3000}}, true, "2s",
                [](const json&, const std::string& logs) {
                    return logs.find("retrying") != std::string::npos;
                }},
        EsFault{"ConnectionResets", "ES connection resets (30%)", json{{"reset_fraction", 0.3}},
                false, "10s",
                [](const json& st, const std::string&) {
                    return stat(st, "connections_reset") > 0;
                }}),
    [](const ::testing::TestParamInfo<EsFault>& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace kt::reliability
