#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "lib/http/readiness.hpp"

namespace kt::http {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

/// Polls `condition` until it holds or `timeout` passes.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

TEST(ReadinessProber, ReadyOnlyWhenEveryProbePassed) {
    std::atomic<bool> db_up{false};
    std::atomic<int> kafka_calls{0};
    ReadinessProber prober({{"kafka", [&] { ++kafka_calls; }},
                            {"postgres",
                             [&] {
                                 if (!db_up) throw std::runtime_error("connection refused");
                             }}},
                           5ms);
    prober.wait_first_round();
    Check c = prober.check();
    EXPECT_FALSE(c.ok);
    EXPECT_EQ(c.detail, "postgres: connection refused");

    db_up = true;
    ASSERT_TRUE(eventually([&] { return prober.check().ok; }, 5s));
    EXPECT_GE(kafka_calls.load(), 2);

    db_up = false;
    ASSERT_TRUE(eventually([&] { return !prober.check().ok; }, 5s));
    EXPECT_THAT(prober.check().detail, HasSubstr("postgres"));
    EXPECT_THAT(prober.check().detail, Not(HasSubstr("kafka")));
}

TEST(ReadinessProber, NotReadyBeforeTheFirstRound) {
    std::atomic<bool> release{false};
    ReadinessProber prober({{"slow",
                             [&] {
                                 while (!release) std::this_thread::yield();
                             }}},
                           5ms);
    EXPECT_FALSE(prober.check().ok);
    EXPECT_THAT(prober.check().detail, HasSubstr("not probed"));
    release = true;
    prober.wait_first_round();
    EXPECT_TRUE(prober.check().ok);
}

TEST(ReadinessProber, NamesEveryFailingDependency) {
    ReadinessProber prober({{"kafka", [] { throw std::runtime_error("no broker"); }},
                            {"elasticsearch", [] { throw std::runtime_error("HTTP 503"); }}},
                           1h);
    prober.wait_first_round();
    EXPECT_EQ(prober.check().detail, "kafka: no broker; elasticsearch: HTTP 503");
}

}  // namespace
}  // namespace kt::http
