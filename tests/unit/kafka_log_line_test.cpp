#include <gtest/gtest.h>

#include "lib/kafka/detail/log_line.hpp"

namespace kt::kafka::detail {
namespace {

TEST(KafkaLogLine, DropsTheThreadPrefixOnly) {
    EXPECT_EQ(without_thread_prefix("[thrd:127.0.0.1:9092/bootstrap]: 127.0.0.1:9092/bootstrap: "
                                    "Connect failed (after 0ms)"),
              "127.0.0.1:9092/bootstrap: Connect failed (after 0ms)");
    EXPECT_EQ(without_thread_prefix("[thrd:main]: [thrd:x]: kept"), "[thrd:x]: kept");
    EXPECT_EQ(without_thread_prefix("1/1 brokers are down"), "1/1 brokers are down");
    EXPECT_EQ(without_thread_prefix("[thrd:no end"), "[thrd:no end");
    EXPECT_EQ(without_thread_prefix("text [thrd:x]: later"), "text [thrd:x]: later");
}

TEST(KafkaLogLine, DropsTheThreadPrefixAndParenthesisedCounters) {
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
}  // namespace kt::kafka::detail
