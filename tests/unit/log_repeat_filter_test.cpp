// Which repeated log lines are written (librdkafka's reconnect messages, for one).
#include <gtest/gtest.h>

#include "lib/log/repeat_filter.hpp"

namespace {

using kt::log::RepeatFilter;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

TEST(LogRepeatFilter, WritesTheFirstThenNoneUntilThePeriodPassedThenCountsTheLeftOut) {
    RepeatFilter filter(seconds(30));
    const Clock::time_point t0{};
    EXPECT_EQ(filter.admit("a", t0), 0u);
    EXPECT_EQ(filter.admit("a", t0 + seconds(1)), std::nullopt);
    EXPECT_EQ(filter.admit("a", t0 + seconds(29)), std::nullopt);
    EXPECT_EQ(filter.admit("b", t0 + seconds(29)), 0u) << "another key is written at once";
    EXPECT_EQ(filter.admit("a", t0 + seconds(30)), 2u);
    EXPECT_EQ(filter.admit("a", t0 + seconds(31)), std::nullopt);
    EXPECT_EQ(filter.admit("a", t0 + seconds(61)), 1u);
}

TEST(LogRepeatFilter, ForgetsTheOldestKeyBeyondItsLimit) {
    RepeatFilter filter(seconds(30), 2);
    const Clock::time_point t0{};
    EXPECT_EQ(filter.admit("a", t0), 0u);
    EXPECT_EQ(filter.admit("b", t0 + seconds(1)), 0u);
    EXPECT_EQ(filter.admit("c", t0 + seconds(2)), 0u);  // forgets a
    EXPECT_EQ(filter.admit("a", t0 + seconds(3)), 0u);
    EXPECT_EQ(filter.admit("c", t0 + seconds(4)), std::nullopt);
}

}  // namespace
