// Where a newly assigned partition starts reading (kt sets it itself, see Consumer).
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include "lib/kafka/detail/start_offset.hpp"

namespace {

using kt::kafka::detail::start_offset;

TEST(KafkaStartOffset, ACommittedOffsetWinsOverTheResetPolicy) {
    EXPECT_EQ(start_offset(0, "latest"), 0);
    EXPECT_EQ(start_offset(42, "earliest"), 42);
}

TEST(KafkaStartOffset, WithoutACommitTheResetPolicyNamesTheStart) {
    for (const char* name : {"earliest", "smallest", "beginning"}) {
        EXPECT_EQ(start_offset(RD_KAFKA_OFFSET_INVALID, name), RD_KAFKA_OFFSET_BEGINNING) << name;
    }
    for (const char* name : {"latest", "largest", "end"}) {
        EXPECT_EQ(start_offset(RD_KAFKA_OFFSET_INVALID, name), RD_KAFKA_OFFSET_END) << name;
    }
}

TEST(KafkaStartOffset, ErrorOrAnUnknownPolicyIsLeftToLibrdkafka) {
    EXPECT_EQ(start_offset(RD_KAFKA_OFFSET_INVALID, "error"), RD_KAFKA_OFFSET_INVALID);
    EXPECT_EQ(start_offset(RD_KAFKA_OFFSET_INVALID, ""), RD_KAFKA_OFFSET_INVALID);
}

}  // namespace
