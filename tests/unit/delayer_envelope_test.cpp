#include <gtest/gtest.h>

#include <string>

#include "workers/delayer/envelope.hpp"

namespace kt::workers {
namespace {

std::string payload_of(const std::string& value, const ParsedEnvelope& e) {
    return value.substr(e.payload_pos, e.payload_len);
}

TEST(DelayerEnvelope, ReadsPayloadCreatedAtAndTopic) {
    EnvelopeParser parser;
    const std::string value =
        R"({"payload": {"id": 42, "extra": [1, 2]}, "created_at": 1700000000.25, "topic": "products"})";
    const auto e = parser.parse(value);
    ASSERT_TRUE(e.ok) << e.reason;
    EXPECT_EQ(e.id, "42");
    EXPECT_EQ(payload_of(value, e), R"({"id": 42, "extra": [1, 2]})");
    ASSERT_TRUE(e.created_at.has_value());
    EXPECT_DOUBLE_EQ(*e.created_at, 1700000000.25);
    EXPECT_EQ(e.topic, std::optional<std::string>("products"));
}

TEST(DelayerEnvelope, MembersInAnyOrderAndStringIds) {
    EnvelopeParser parser;
    const std::string value =
        R"({"topic":"brands","created_at":1700000000,"payload":{"id":"sku-1"}})";
    const auto e = parser.parse(value);
    ASSERT_TRUE(e.ok) << e.reason;
    EXPECT_EQ(e.id, "sku-1");
    EXPECT_EQ(payload_of(value, e), R"({"id":"sku-1"})");
    EXPECT_DOUBLE_EQ(*e.created_at, 1700000000.0);
    EXPECT_EQ(e.topic, std::optional<std::string>("brands"));
}

TEST(DelayerEnvelope, MissingOrNullCreatedAtAndTopicAreLeftToTheFallbacks) {
    EnvelopeParser parser;
    for (const std::string value :
         {R"({"payload": {"id": 7}})",
          R"({"payload": {"id": 7}, "created_at": null, "topic": null})"}) {
        const auto e = parser.parse(value);
        ASSERT_TRUE(e.ok) << value << ": " << e.reason;
        EXPECT_EQ(e.id, "7");
        EXPECT_FALSE(e.created_at.has_value());
        EXPECT_FALSE(e.topic.has_value());
    }
}

TEST(DelayerEnvelope, IdsBeyondSixtyFourBitsAreKeptAsText) {
    EnvelopeParser parser;
    const auto e = parser.parse(R"({"payload": {"id": 123456789012345678901234567890}})");
    ASSERT_TRUE(e.ok) << e.reason;
    EXPECT_EQ(e.id, "123456789012345678901234567890");
}

TEST(DelayerEnvelope, PoisonEnvelopesSayWhy) {
    EnvelopeParser parser;
    const std::pair<std::string, std::string> cases[] = {
        {"", "empty"},
        {"not json", "JSON"},
        {"{not json}", "not JSON"},
        {"[1, 2]", "not a JSON object"},
        {R"({"created_at": 1})", "no \"payload\""},
        {R"({"payload": 42})", "\"payload\" must be a JSON object"},
        {R"({"payload": {"name": "x"}})", "has no \"id\""},
        {R"({"payload": {"id": 1.5}})", "integer or a string"},
        {R"({"payload": {"id": true}})", "integer or a string"},
        {R"({"payload": {"id": ""}})", "empty string"},
        {R"({"payload": {"id": 1}, "created_at": "yesterday"})", "created_at"},
        {R"({"payload": {"id": 1}, "topic": 5})", "\"topic\" must be a string"},
        {R"({"payload": {"id": 1}, "topic": "no spaces allowed"})", "not a valid Kafka topic"},
        {R"({"payload": {"id": 1}, "topic": ""})", "not a valid Kafka topic"},
        {R"({"payload": {"id": 1}} trailing)", "not JSON"},
        {"{\"payload\": {\"id\": \"\xff\xfe\"}}", "UTF-8"},
        {R"({"payload": {"id": 1})", "not JSON"},
    };
    for (const auto& [value, reason] : cases) {
        const auto e = parser.parse(value);
        EXPECT_FALSE(e.ok) << value;
        EXPECT_NE(e.reason.find(reason), std::string::npos) << value << " -> " << e.reason;
    }
}

TEST(DelayerEnvelope, OversizedEnvelopesArePoison) {
    EnvelopeParser parser;
    const std::string value =
        R"({"payload": {"id": 1, "pad": ")" + std::string(kMaxEnvelopeBytes, 'x') + "\"}}";
    const auto e = parser.parse(value);
    EXPECT_FALSE(e.ok);
    EXPECT_NE(e.reason.find("oversized"), std::string::npos) << e.reason;
}

TEST(DelayerEnvelope, ParserIsReusable) {
    EnvelopeParser parser;
    EXPECT_FALSE(parser.parse("{").ok);
    const auto e = parser.parse(R"({"payload":{"id":3}})");
    ASSERT_TRUE(e.ok) << e.reason;
    EXPECT_EQ(e.id, "3");
}

TEST(DelayerEnvelope, TopicNames) {
    EXPECT_TRUE(is_valid_topic_name("delay_5m"));
    EXPECT_TRUE(is_valid_topic_name("a.b-c_D9"));
    EXPECT_FALSE(is_valid_topic_name("."));
    EXPECT_FALSE(is_valid_topic_name(".."));
    EXPECT_FALSE(is_valid_topic_name(std::string(250, 'a')));
    EXPECT_FALSE(is_valid_topic_name("a/b"));
}

}  // namespace
}  // namespace kt::workers
