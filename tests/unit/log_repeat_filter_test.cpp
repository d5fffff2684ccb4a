// Which repeated log lines are written (librdkafka's reconnect messages, for one).
#include <gtest/gtest.h>

#include "lib/log/repeat_filter.hpp"

namespace {

using kt::log::RepeatFilter;
using kt::log::repeat_key;
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

TEST(LogRepeatKey, DropsTheThreadPrefixAndParenthesisedCounters) {
    EXPECT_EQ(repeat_key("[thrd:127.0.0.1:9092/bootstrap]: 127.0.0.1:9092/bootstrap: Connect to "
                         "ipv4#127.0.0.1:9092 failed: Connection refused (after 0ms in state "
                         "CONNECT)"),
              "127.0.0.1:9092/bootstrap: Connect to ipv4#127.0.0.1:9092 failed: Connection "
              "refused");
    EXPECT_EQ(repeat_key("Connect to ipv4#127.0.0.1:9092 failed: Connection refused (after 1ms "
                         "in state CONNECT, 3 identical error(s) suppressed)"),
              repeat_key("Connect to ipv4#127.0.0.1:9092 failed: Connection refused (after 0ms "
                         "in state CONNECT)"));
    EXPECT_EQ(repeat_key("1/1 brokers are down"), "1/1 brokers are down");
}

}  // namespace
