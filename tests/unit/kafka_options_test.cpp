#include <gtest/gtest.h>

#include <array>
#include <string>

#include "lib/app/options_from_config.hpp"
#include "lib/error.hpp"
#include "lib/kafka/detail/conf.hpp"
#include "lib/kafka/detail/error_code.hpp"
#include "lib/kafka/detail/partition_list.hpp"
#include "lib/kafka/error.hpp"
#include "lib/kafka/options.hpp"

namespace {

using kt::kafka::Options;

std::string conf_value(rd_kafka_conf_t* conf, const char* name) {
    std::array<char, 512> value{};
    std::size_t size = value.size();
    if (rd_kafka_conf_get(conf, name, value.data(), &size) != RD_KAFKA_CONF_OK) return "<unset>";
    return value.data();
}

TEST(KafkaOptions, FromConfigCopiesBrokersAndPropertiesAndTakesTheGroup) {
    kt::config::KafkaConfig config;
    config.brokers = "a:9092,b:9092";
    config.group_prefix = "shop";
    config.properties = {{"security.protocol", "SSL"}};
    const auto options =
        kt::app::kafka_options(config, kt::app::group_id(config, "indexer", "products"));
    EXPECT_EQ(options.brokers, "a:9092,b:9092");
    EXPECT_EQ(options.group_id, "shop.indexer.products");
    EXPECT_EQ(options.properties.at("security.protocol"), "SSL");
}

TEST(KafkaOptions, UserPropertiesOverrideDefaults) {
    Options options;
    options.brokers = "broker:1234";
    options.group_id = "g";
    options.properties = {{"client.id", "mine"}};
    auto conf = kt::kafka::detail::make_conf(
        options, {{"client.id", "kt"}, {"enable.auto.commit", "false"}});
    EXPECT_EQ(conf_value(conf.get(), "client.id"), "mine");
    EXPECT_EQ(conf_value(conf.get(), "enable.auto.commit"), "false");
    EXPECT_EQ(conf_value(conf.get(), "bootstrap.servers"), "broker:1234");
    EXPECT_EQ(conf_value(conf.get(), "group.id"), "g");
}

TEST(KafkaOptions, RejectedPropertyIsNamedButItsValueIsNotShown) {
    Options options;
    options.properties = {{"security.protocol", "hunter2-secret-value"}};
    try {
        (void)kt::kafka::detail::make_conf(options, {});
        FAIL() << "expected kt::Error";
    } catch (const kt::Error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("security.protocol"), std::string::npos) << what;
        EXPECT_EQ(what.find("hunter2-secret-value"), std::string::npos) << what;
    }
}

TEST(KafkaOptions, SecretPropertiesAreRecognised) {
    EXPECT_TRUE(kt::kafka::is_secret_property("sasl.password"));
    EXPECT_TRUE(kt::kafka::is_secret_property("ssl.key.password"));
    EXPECT_TRUE(kt::kafka::is_secret_property("ssl.key.pem"));
    EXPECT_TRUE(kt::kafka::is_secret_property("sasl.oauthbearer.client.secret"));
    EXPECT_FALSE(kt::kafka::is_secret_property("security.protocol"));
    EXPECT_FALSE(kt::kafka::is_secret_property("session.timeout.ms"));
}

TEST(KafkaOptions, RedactReplacesEveryOccurrence) {
    EXPECT_EQ(kt::kafka::redact("bad value \"pw\" (pw)", "pw"), "bad value \"***\" (***)");
    EXPECT_EQ(kt::kafka::redact("nothing here", ""), "nothing here");
    EXPECT_EQ(kt::kafka::redact("aaaa", "a"), "************");
}

TEST(KafkaError, RetryableFollowsTheErrorCode) {
    EXPECT_TRUE(kt::kafka::KafkaError("x", kt::kafka::ErrorCode::kTransport).retryable());
    EXPECT_TRUE(kt::kafka::KafkaError("x", kt::kafka::ErrorCode::kTimedOut).retryable());
    EXPECT_TRUE(kt::kafka::KafkaError("x", kt::kafka::ErrorCode::kNotCoordinator).retryable());
    EXPECT_FALSE(
        kt::kafka::KafkaError("x", kt::kafka::ErrorCode::kTopicAuthorizationFailed).retryable());
    EXPECT_FALSE(kt::kafka::KafkaError("x", kt::kafka::ErrorCode::kInvalidArg).retryable());
    const kt::kafka::KafkaError fatal("x", kt::kafka::ErrorCode::kFatal);
    EXPECT_TRUE(fatal.fatal());
    EXPECT_FALSE(fatal.retryable());
}

TEST(KafkaError, TakesFlagsFromAnRdKafkaError) {
    kt::kafka::detail::ErrorPtr retriable(
        rd_kafka_error_new(RD_KAFKA_RESP_ERR__INVALID_ARG, "%s", "odd"));
    const kt::kafka::KafkaError e = kt::kafka::detail::error_of("commit", retriable.get());
    EXPECT_EQ(e.code(), kt::kafka::ErrorCode::kInvalidArg);
    EXPECT_FALSE(e.retryable());
    EXPECT_NE(std::string(e.what()).find("commit"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("_INVALID_ARG"), std::string::npos);
}

TEST(KafkaPartitionList, RoundTripsTopicsPartitionsAndOffsets) {
    const std::vector<kt::kafka::TopicPartition> in = {{"a", 0, 5}, {"b", 3, kt::kafka::kNoOffset}};
    const auto list = kt::kafka::detail::to_list(in);
    EXPECT_EQ(list->cnt, 2);
    EXPECT_EQ(kt::kafka::detail::from_list(list.get()), in);
    EXPECT_EQ(kt::kafka::detail::first_error(list.get()), RD_KAFKA_RESP_ERR_NO_ERROR);
    list->elems[1].err = RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE;
    EXPECT_EQ(kt::kafka::detail::first_error(list.get()), RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE);
    EXPECT_TRUE(kt::kafka::detail::from_list(nullptr).empty());
}

}  // namespace
