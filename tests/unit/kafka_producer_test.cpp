// The producer's wait for room in a full local queue, with no broker to drain it.
#include <gtest/gtest.h>

#include <chrono>
#include <stop_token>
#include <string_view>

#include "lib/kafka/error.hpp"
#include "lib/kafka/producer.hpp"

namespace kt::kafka {
namespace {

using namespace std::chrono_literals;

/// A producer whose queue holds one message and that never reaches a broker (nothing listens on
/// port 1), so the queue stays full once one message is in it.
Options one_message_queue() {
    Options options;
    options.brokers = "127.0.0.1:1";
    options.properties = {{"queue.buffering.max.messages", "1"}, {"batch.num.messages", "1"}};
    options.queue_full_timeout = 1s;
    return options;
}

Record record(std::string_view key) {
    return Record{"t", key, "{}", {}, kAnyPartition, 0};
}

TEST(KafkaProducer, AStopRequestEndsTheWaitForRoomWithNothingQueued) {
    Producer producer(one_message_queue());
    ASSERT_TRUE(producer.produce(record("1"), std::stop_token{}));
    std::stop_source stop;
    stop.request_stop();
    EXPECT_FALSE(producer.produce(record("2"), stop.get_token()));
    EXPECT_EQ(producer.in_flight(), 1U);
}

TEST(KafkaProducer, WithoutAStopTheWaitForRoomEndsInQueueFull) {
    Producer producer(one_message_queue());
    producer.produce(record("1"));
    try {
        producer.produce(record("2"));
        FAIL() << "a full queue with no broker accepted a second message";
    } catch (const KafkaError& e) {
        EXPECT_EQ(e.code(), ErrorCode::kQueueFull);
    }
    EXPECT_EQ(producer.in_flight(), 1U);
}

}  // namespace
}  // namespace kt::kafka
