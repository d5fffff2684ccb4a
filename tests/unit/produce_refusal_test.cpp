// Which topics `kt produce` refuses: a message nothing reads is lost without a word.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cmd/kt/produce.hpp"
#include "lib/config/loader.hpp"

namespace {

using ::testing::HasSubstr;

kt::config::Config shop() {
    return kt::config::load_string(R"yaml(
kafka: {brokers: "localhost:9092"}
postgres: {url: "postgresql://localhost/kt"}
elasticsearch: {url: "http://localhost:9200"}
indexes:
  products:
    query: "SELECT p.id, row_to_json(p) AS doc FROM products p WHERE p.id = ANY($1::bigint[])"
  orders:
    topic: shop.orders
    query: "SELECT o.id, row_to_json(o) AS doc FROM orders o WHERE o.id = ANY($1::bigint[])"
delayers:
  products_later:
    target: products
    delay: 5m
cascades:
  brand_products:
    topic: brands
    query: "SELECT id FROM products WHERE brand_id = ANY($1::bigint[])"
    target: products
)yaml",
                                   "shop.yaml", ".");
}

TEST(ProduceRefusal, TopicsAnIndexOrACascadeReadsAreTaken) {
    const auto config = shop();
    EXPECT_EQ(kt::cmd::produce_refusal(config, "products"), "");
    EXPECT_EQ(kt::cmd::produce_refusal(config, "shop.orders"), "");
    EXPECT_EQ(kt::cmd::produce_refusal(config, "brands"), "");
}

TEST(ProduceRefusal, AnUnreadTopicIsRefusedWithTheTopicsThatAreRead) {
    const auto config = shop();
    const std::string refusal = kt::cmd::produce_refusal(config, "order");
    EXPECT_THAT(refusal, HasSubstr("reads topic order"));
    EXPECT_THAT(refusal, HasSubstr("brands, products, shop.orders"));
    EXPECT_THAT(refusal, HasSubstr("--any-topic"));
    EXPECT_THAT(kt::cmd::produce_refusal(config, "orders"), HasSubstr("shop.orders"))
        << "an index's name is not its topic";
}

TEST(ProduceRefusal, ADelayersTopicPointsToDelay) {
    const std::string refusal = kt::cmd::produce_refusal(shop(), "products_later");
    EXPECT_THAT(refusal, HasSubstr("delayer products_later"));
    EXPECT_THAT(refusal, HasSubstr("kt produce --delay products"));
}

}  // namespace
