#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <stop_token>
#include <thread>

#include "lib/retry/backoff.hpp"
#include "lib/retry/sleep.hpp"

namespace kt::retry {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, CeilingDoublesFromBaseUpToCap) {
    Backoff backoff({milliseconds(100), milliseconds(1000)}, [] { return 0.5; });
    EXPECT_EQ(backoff.ceiling(), milliseconds(100));
    EXPECT_EQ(backoff.next(), milliseconds(50));
    EXPECT_EQ(backoff.ceiling(), milliseconds(200));
    EXPECT_EQ(backoff.next(), milliseconds(100));
    EXPECT_EQ(backoff.next(), milliseconds(200));
    EXPECT_EQ(backoff.next(), milliseconds(400));
    EXPECT_EQ(backoff.ceiling(), milliseconds(1000));  // 1600 capped
    for (int i = 0; i < 100; ++i) EXPECT_EQ(backoff.next(), milliseconds(500));
}

TEST(Backoff, FullJitterSpansZeroToCeiling) {
    double r = 0.0;
    Backoff backoff({milliseconds(100), milliseconds(30000)}, [&r] { return r; });
    EXPECT_EQ(backoff.next(), milliseconds(0));
    backoff.reset();
    r = 0.999999;
    EXPECT_EQ(backoff.next(), milliseconds(99));
}

TEST(Backoff, DefaultRandomStaysWithinBoundsAndVaries) {
    Backoff backoff;  // 100 ms base, 30 s cap
    std::set<long long> seen;
    for (int i = 0; i < 200; ++i) {
        const auto ceiling = backoff.ceiling();
        const auto delay = backoff.next();
        EXPECT_GE(delay.count(), 0);
        EXPECT_LE(delay, ceiling);
        EXPECT_LE(delay, milliseconds(30000));
        seen.insert(delay.count());
    }
    EXPECT_GT(seen.size(), 20U);
}

TEST(Backoff, ResetStartsOverFromBase) {
    Backoff backoff({milliseconds(100), milliseconds(30000)}, [] { return 0.0; });
    for (int i = 0; i < 5; ++i) (void)backoff.next();
    EXPECT_EQ(backoff.attempt(), 5);
    backoff.reset();
    EXPECT_EQ(backoff.attempt(), 0);
    EXPECT_EQ(backoff.ceiling(), milliseconds(100));
}

TEST(RetrySleep, WaitsTheDelayWhenNotStopped) {
    const std::stop_source source;
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(sleep_for(milliseconds(30), source.get_token()));
    EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(30));
}

TEST(RetrySleep, ReturnsFalseAtOnceWhenAlreadyStopped) {
    std::stop_source source;
    source.request_stop();
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(sleep_for(std::chrono::hours(1), source.get_token()));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(RetrySleep, WakesWhenStopIsRequestedDuringTheWait) {
    std::stop_source source;
    std::jthread stopper([&source] {
        std::this_thread::sleep_for(milliseconds(20));  // the stop arrives mid-wait
        source.request_stop();
    });
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(sleep_for(std::chrono::hours(1), source.get_token()));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

}  // namespace
}  // namespace kt::retry
