// Elasticsearch misbehaving (a private stand-in with injected faults) under a continuous writer
// and two indexers: nothing may be lost, whatever the fault.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <random>
#include <string>
#include <thread>

#include "tests/reliability/faults.hpp"

namespace kt::reliability {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr auto kFaultFor = 10s;

/// A fault of the private stand-in under two indexers: `faults` (the PUT /_standin/faults body)
/// for kFaultFor, or toggled on and off at random moments when `spikes`; `bit` says from the
/// stand-in's stats (or the logs) that the fault hit the indexers.
FaultScenario es_fault(std::string name, std::string label, json faults, bool spikes,
                       std::string es_timeout,
                       std::function<bool(const json& stats, const std::string& logs)> bit) {
    auto fault = [body = std::move(faults), spikes, hit = std::move(bit)](FaultRun& run) {
        Scenario& s = run.scenario;
        test::PrivateStandin& standin = *run.doubles.standin;
        // The fault starts at a random moment within the first 3 s and lasts kFaultFor.
        fault_moment(run.rng, 500, 3000);
        json injected = body;
        injected["seed"] = run.seed;
        int toggles = 0;
        const auto until = std::chrono::steady_clock::now() + kFaultFor;
        if (spikes) {
            std::uniform_int_distribution<int> period_ms(300, 2000);
            bool on = false;
            while (std::chrono::steady_clock::now() < until) {
                on = !on;
                if (on) {
                    standin.set_faults(injected);
                } else {
                    standin.clear_faults();
                }
                ++toggles;
                std::this_thread::sleep_for(std::chrono::milliseconds(period_ms(run.rng)));
            }
        } else {
            standin.set_faults(injected);
            std::this_thread::sleep_for(kFaultFor);  // how long the fault lasts
        }
        standin.clear_faults();
        run.note = spikes ? "spikes=" + std::to_string((toggles + 1) / 2) : "";
        run.after = [&s, hit, stats = standin.stats()] {
            EXPECT_TRUE(hit(stats, s.logs(1 << 20)))
                << "the fault never reached the indexer; the test proves nothing\n"
                << stats.dump();
        };
    };
    return FaultScenario{std::move(name) + "OnStandin",
                         std::move(label),
                         Double::kStandin,
                         {},
                         [timeout = std::move(es_timeout)](ScenarioOptions& o, Doubles&) {
                             o.es_timeout = timeout;
                         },
                         two_indexers(),
                         {"indexer-1"},
                         WriterMode::kInstant,
                         std::move(fault)};
}

std::int64_t stat(const json& stats, const std::string& key) {
    return stats.value(key, std::int64_t{0});
}

INSTANTIATE_TEST_SUITE_P(
    EsFaults, Faults,
    ::testing::Values(
        es_fault("TooManyRequestsStorm", "ES 429 storm (70% of bulks)",
                 json{{"bulk_reject_fraction", 0.7}}, false, "10s",
                 [](const json& st, const std::string&) {
                     return stat(st, "bulk_requests_rejected") > 0;
                 }),
        es_fault("ItemRejections", "ES item rejections (30% of items)",
                 json{{"item_reject_fraction", 0.3}}, false, "10s",
                 [](const json& st, const std::string&) {
                     return st.value("bulk_items", json::object()).value("rejected", 0) > 0;
                 }),
        es_fault("UnavailableForTenSeconds", "ES 503 for 10 s", json{{"unavailable", true}}, false,
                 "10s",
                 [](const json& st, const std::string&) {
                     return stat(st, "unavailable_responses") > 0;
                 }),
        es_fault("LatencySpikesBeyondTheTimeout", "ES latency spikes (3 s, timeout 2 s)",
                 json{{"latency_ms", 3000}}, true, "2s",
                 [](const json&, const std::string& logs) {
                     return logs.find("retrying") != std::string::npos;
                 }),
        es_fault("ConnectionResets", "ES connection resets (30%)", json{{"reset_fraction", 0.3}},
                 false, "10s",
                 [](const json& st, const std::string&) {
                     return stat(st, "connections_reset") > 0;
                 })),
    scenario_name);

}  // namespace
}  // namespace kt::reliability
