// The `capture:` section of the config file (kt-capture).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lib/config/loader.hpp"

namespace kt::config {
namespace {

using ::testing::ElementsAre;

const std::string kBase = R"(kafka: { brokers: localhost:9092 }
postgres: { url: postgresql://kt@localhost/kt }
elasticsearch: { url: http://localhost:9200 }
indexes:
  products:
    query: SELECT p.id, p.doc FROM products p WHERE p.id = ANY($1::bigint[])
)";

Config load(const std::string& capture) {
    return load_string(kBase + capture, "kt.yaml", "", [](const std::string&) {
        return std::optional<std::string>();
    });
}

std::vector<std::string> problems(const std::string& capture) {
    try {
        (void)load(capture);
    } catch (const ConfigError& e) {
        return e.lines();
    }
    return {};
}

TEST(ConfigCapture, AbsentSectionMeansNoCaptureAndAnEmptyOneTakesTheDefaults) {
    EXPECT_FALSE(load("").capture.has_value());
    const Config cfg = load("capture:\n");
    ASSERT_TRUE(cfg.capture.has_value());
    EXPECT_EQ(cfg.capture->slot, "kt_capture");
    EXPECT_EQ(cfg.capture->publication, "kt_capture");
    EXPECT_EQ(cfg.capture->heartbeat, std::chrono::seconds(10));
    EXPECT_TRUE(cfg.capture->tables.empty());
}

TEST(ConfigCapture, SlotPublicationHeartbeatAndTableMappingsAreRead) {
    const Config cfg = load(R"(capture:
  slot: shop_slot
  publication: shop_pub
  heartbeat: 30s
  tables:
    public.prices:
      index: products
      query: SELECT product_id FROM prices WHERE id = ANY($1::bigint[])
)");
    EXPECT_EQ(cfg.capture->slot, "shop_slot");
    EXPECT_EQ(cfg.capture->publication, "shop_pub");
    EXPECT_EQ(cfg.capture->heartbeat, std::chrono::seconds(30));
    ASSERT_EQ(cfg.capture->tables.size(), 1U);
    EXPECT_EQ(cfg.capture->tables[0].table, "public.prices");
    EXPECT_EQ(cfg.capture->tables[0].index, "products");
}

TEST(ConfigCapture, MistakesNameTheKeyPathAndLine) {
    EXPECT_THAT(problems("capture:\n  slot: Shop-Slot\n"),
                ElementsAre("kt.yaml:8: capture.slot: 'Shop-Slot' is not a valid name "
                            "(lower-case letters, digits and _, at most 63)"));
    EXPECT_THAT(problems("capture:\n  heartbeat: 0s\n"),
                ElementsAre("kt.yaml:8: capture.heartbeat: must be greater than zero"));
    EXPECT_THAT(problems("capture:\n  slots: x\n"),
                ElementsAre(::testing::HasSubstr("capture.slots: unknown key")));
    EXPECT_THAT(problems(R"(capture:
  tables:
    prices:
      index: nope
      query: SELECT 1
)"),
                ElementsAre("kt.yaml:10: capture.tables.prices.index: 'nope' is not an index "
                            "(known: products)",
                            "kt.yaml:11: capture.tables.prices.query: must use $1 (the text[] "
                            "of ids)"));
}

}  // namespace
}  // namespace kt::config
