#include <gtest/gtest.h>

#include <chrono>

#include "lib/es/retry_policy.hpp"

namespace kt::es {
namespace {

using std::chrono::milliseconds;

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
