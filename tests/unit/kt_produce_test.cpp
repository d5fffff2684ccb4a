#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cmd/kt/produce.hpp"
#include "lib/config/loader.hpp"

namespace kt::cmd {
namespace {

TEST(KtProduce, InstantMessageUsesANumberForAllDigitIds) {
    EXPECT_EQ(instant_message("42"), R"({"id":42})");
    EXPECT_EQ(instant_message("sku-1"), R"({"id":"sku-1"})");
    EXPECT_EQ(instant_message("007"), R"({"id":"007"})");  // leading zero: keep the text
    EXPECT_EQ(instant_message("99999999999999999999"), R"({"id":"99999999999999999999"})");
}

TEST(KtProduce, DelayEnvelopeHasPayloadCreatedAtAndTopic) {
    const auto j = nlohmann::json::parse(delay_envelope("42", "products", 1700000000.25));
    EXPECT_EQ(j["payload"]["id"], 42);
    EXPECT_DOUBLE_EQ(j["created_at"].get<double>(), 1700000000.25);
    EXPECT_EQ(j["topic"], "products");
}

TEST(KtProduce, FirstDelayStageIsTheOneNoOtherDelayerForwardsTo) {
    const auto cfg = config::load_string(R"(kafka: {brokers: b}
postgres: {url: u}
elasticsearch: {url: "http://e"}
indexes:
  products: {table: products}
delayers:
  delay_1h: { delay: 1h, target: products }
  delay_5m: { delay: 5m, target: products, next: delay_1h }
)",
                                         "t.yaml", "");
    const auto* stage = first_delay_stage(cfg, "products");
    ASSERT_NE(stage, nullptr);
    EXPECT_EQ(stage->name, "delay_5m");
    EXPECT_EQ(first_delay_stage(cfg, "brands"), nullptr);
}

}  // namespace
}  // namespace kt::cmd
