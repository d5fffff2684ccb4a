// kafka::RangeReader against the development broker: end offsets, offset ranges read without a
// consumer group, offsets for times (what kt reindex uses to catch up on concurrent changes).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "lib/kafka/producer.hpp"
#include "lib/kafka/range_reader.hpp"
#include "tests/support/dev_stack.hpp"
#include "tests/support/test_env.hpp"

namespace kt::kafka {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

void produce(const std::string& topic, int from, int to) {
    Producer producer(test::broker_options());
    for (int i = from; i <= to; ++i) {
        const std::string value = std::to_string(i);
        producer.produce(Record{topic, std::nullopt, value, {}, i % 2, 0});
    }
    const auto flushed = producer.flush(30s);
    ASSERT_TRUE(flushed.ok());
}

TEST(ReindexRangeReader, ReadsExactlyTheRangesBetweenEndOffsets) {
    const std::string topic = test::unique_name("rrange");
    test::create_topic(topic, 2);
    RangeReader reader(test::broker_options());
    const PartitionOffsets empty = reader.end_offsets(topic, 10s);
    EXPECT_EQ(empty, (PartitionOffsets{{0, 0}, {1, 0}}));
    EXPECT_TRUE(reader.end_offsets(topic + "_missing", 10s).empty());

    produce(topic, 1, 6);  // even values on partition 0, odd on 1
    const PartitionOffsets middle = reader.end_offsets(topic, 10s);
    EXPECT_EQ(middle, (PartitionOffsets{{0, 3}, {1, 3}}));
    produce(topic, 7, 10);
    const PartitionOffsets end = reader.end_offsets(topic, 10s);

    std::vector<std::string> values;
    const std::size_t n = reader.read(
        topic, middle, end, [&](std::string_view v) { values.emplace_back(v); }, 30s);
    EXPECT_EQ(n, 4U);
    std::sort(values.begin(), values.end(), [](const std::string& a, const std::string& b) {
        return std::stoi(a) < std::stoi(b);
    });
    EXPECT_THAT(values, ElementsAre("7", "8", "9", "10"));
    EXPECT_EQ(reader.read(
                  topic, end, end, [](std::string_view) {}, 1s),
              0U);

    // No message at or after the time: the end. (librdkafka 2.0.2's mock cluster answers every
    // timestamp lookup with the end offset, so the exact lookup is not checked here.)
    EXPECT_EQ(reader.offsets_for_times(topic, std::chrono::system_clock::now() + 1h, 10s), end);
}

}  // namespace
}  // namespace kt::kafka
