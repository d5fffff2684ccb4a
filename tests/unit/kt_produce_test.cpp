#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lib/app/options_from_config.hpp"
#include "lib/app/publisher.hpp"
#include "lib/config/loader.hpp"
#include "lib/wire/messages.hpp"

namespace kt {
namespace {

TEST(WireMessages, InstantMessageUsesANumberForAllDigitIds) {
    EXPECT_EQ(wire::instant_message("42"), R"({"id":42})");
    EXPECT_EQ(wire::instant_message("sku-1"), R"({"id":"sku-1"})");
    EXPECT_EQ(wire::instant_message("007"), R"({"id":"007"})");  // leading zero: keep the text
    EXPECT_EQ(wire::instant_message("99999999999999999999"), R"({"id":"99999999999999999999"})");
}

TEST(WireMessages, CascadedMessageIsMarked) {
    EXPECT_EQ(wire::cascaded_message("42"), R"({"id":42,"cascaded":true})");
    EXPECT_EQ(wire::cascaded_message("a\"b"), R"({"id":"a\"b","cascaded":true})");
}

TEST(WireMessages, DelayEnvelopeHasPayloadCreatedAtAndTopic) {
    const auto j = nlohmann::json::parse(
        wire::delay_envelope(wire::instant_message("42"), "products", 1700000000.25));
    EXPECT_EQ(j["payload"]["id"], 42);
    EXPECT_DOUBLE_EQ(j["created_at"].get<double>(), 1700000000.25);
    EXPECT_EQ(j["topic"], "products");
}

const char* const kTwoStages = R"(kafka: {brokers: b}
postgres: {url: u}
elasticsearch: {url: "http://e"}
indexes:
  products: {table: products}
  brands: {table: brands}
delayers:
  delay_1h: { delay: 1h, target: products }
  delay_5m: { delay: 5m, target: products, next: delay_1h }
)";

TEST(ConfigDelayStages, FirstDelayStageIsTheOneNoOtherDelayerForwardsTo) {
    const auto cfg = config::load_string(kTwoStages, "t.yaml", "");
    const auto* stage = cfg.first_delay_stage("products");
    ASSERT_NE(stage, nullptr);
    EXPECT_EQ(stage->name, "delay_5m");
    EXPECT_EQ(cfg.first_delay_stage("brands"), nullptr);
}

TEST(PublisherOptions, DelayTopicsComeFromTheFirstStages) {
    const auto options =
        app::publisher_options(config::load_string(kTwoStages, "t.yaml", ""));
    EXPECT_EQ(options.delay_topics.size(), 1U);
    EXPECT_EQ(options.delay_topics.at("products"), "delay_5m");
    EXPECT_EQ(options.kafka.brokers, "b");
}

TEST(Publisher, DelayWithoutAStageIsAnError) {
    app::PublisherOptions options;
    options.kafka.brokers = "127.0.0.1:1";  // never contacted: nothing is sent
    app::Publisher publisher(std::move(options));
    EXPECT_THROW(publisher.delay("brands", "1"), Error);
}

}  // namespace
}  // namespace kt
