#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "lib/es/retry_policy.hpp"

namespace kt::es {
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

TEST(AdaptiveBulkSize, StartsAtMaxAndHalvesToFloor) {
    AdaptiveBulkSize size({1000, 100, 0.10});
    EXPECT_EQ(size.size(), 1000U);
    size.on_backpressure();
    EXPECT_EQ(size.size(), 500U);
    size.on_backpressure();
    EXPECT_EQ(size.size(), 250U);
    size.on_backpressure();
    EXPECT_EQ(size.size(), 125U);
    size.on_backpressure();
    EXPECT_EQ(size.size(), 100U);
    size.on_backpressure();
    EXPECT_EQ(size.size(), 100U);
}

TEST(AdaptiveBulkSize, GrowsGraduallyBackToMax) {
    AdaptiveBulkSize size({1000, 10, 0.10});
    for (int i = 0; i < 10; ++i) size.on_backpressure();
    EXPECT_EQ(size.size(), 10U);
    size.on_success();
    EXPECT_EQ(size.size(), 11U);
    size.on_success();
    EXPECT_EQ(size.size(), 12U);
    int steps = 2;
    while (size.size() < 1000U && steps < 1000) {
        size.on_success();
        ++steps;
    }
    EXPECT_EQ(size.size(), 1000U);
    EXPECT_GT(steps, 20);  // gradual, not a jump
    size.on_success();
    EXPECT_EQ(size.size(), 1000U);
}

TEST(AdaptiveBulkSize, SmallMaximumsStayUsable) {
    AdaptiveBulkSize size({1, 10, 0.10});
    EXPECT_EQ(size.size(), 1U);
    size.on_backpressure();
    EXPECT_EQ(size.size(), 1U);
    AdaptiveBulkSize zero({0, 0, 0.10});
    EXPECT_EQ(zero.size(), 1U);
}

}  // namespace
}  // namespace kt::es
