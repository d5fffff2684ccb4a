// The children producer's queue cap: what keeps kt-cascader's memory bounded whatever the
// fan-out (the association query hands over kChildChunk ids at a time; produce() waits for room).
#include <gtest/gtest.h>

#include <stop_token>
#include <string>

#include "lib/kafka/producer.hpp"
#include "lib/wire/messages.hpp"
#include "workers/cascader/cascader.hpp"

namespace kt::workers {
namespace {

TEST(CascaderChildProducer, QueueIsCappedUnlessThePropertiesSetTheCap) {
    config::KafkaConfig kafka;
    kafka.brokers = "b:9092";
    kafka.properties = {{"security.protocol", "ssl"}};
    const kafka::Options options = child_producer_options(kafka);
    EXPECT_EQ(options.brokers, "b:9092");
    EXPECT_EQ(options.properties.at("security.protocol"), "ssl");
    EXPECT_EQ(options.properties.at("queue.buffering.max.messages"), "50000");
    EXPECT_EQ(options.properties.at("queue.buffering.max.kbytes"), "16384");

    kafka.properties["queue.buffering.max.messages"] = "1000";
    EXPECT_EQ(child_producer_options(kafka).properties.at("queue.buffering.max.messages"), "1000");
}

TEST(CascaderChildProducer, AProducerWithTheseOptionsHoldsAtMostTheCap) {
    config::KafkaConfig kafka;
    kafka.brokers = "127.0.0.1:1";  // nothing listens: nothing leaves the queue
    kafka::Producer producer(child_producer_options(kafka));
    // Stop already requested: produce() returns false at the first full queue instead of
    // waiting for room.
    std::stop_source stop;
    stop.request_stop();
    std::size_t queued = 0;
    while (queued <= kChildQueueMessages) {
        const std::string id = std::to_string(queued + 1);
        const std::string value = wire::cascaded_message(id);
        if (!producer.produce(kafka::Record{"children", id, value, {}, kafka::kAnyPartition, 0},
                              stop.get_token())) {
            break;
        }
        ++queued;
    }
    EXPECT_EQ(queued, kChildQueueMessages);
}

}  // namespace
}  // namespace kt::workers
