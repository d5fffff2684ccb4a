#include "workers/capture/plan.hpp"

#include <gtest/gtest.h>

#include "lib/config/loader.hpp"

namespace kt::workers::capture {
namespace {

config::Config shop(const std::string& capture) {
    return config::load_string(R"(kafka: { brokers: localhost:9092 }
postgres: { url: postgresql://kt@localhost/kt }
elasticsearch: { url: http://localhost:9200 }
indexes:
  products:
    query: |
      SELECT p.id, jsonb_build_object('b', b.name, 'r', r.name,
        'tags', (SELECT array_agg(t.name) FROM shop.tags t WHERE t.product_id = p.id)) AS doc
      FROM products p LEFT JOIN brands b ON b.id = p.brand_id
      LEFT JOIN regions r ON r.lo <= p.zip
      WHERE p.id = ANY($1::bigint[])
  brands:
    query: SELECT b.id, to_jsonb(b) AS doc FROM brands b WHERE b.id = ANY($1)
)" + capture,
                               "kt.yaml", "", [](const std::string&) {
                                   return std::optional<std::string>();
                               });
}

const auto kQueryOf = [](const config::IndexConfig& ix) { return ix.query; };

TEST(CapturePlan, EveryTableTheIndexesReadOnceWhatCannotBeTracedAndTheChildTables) {
    const CapturePlan plan = capture_plan(shop("capture:\n"), kQueryOf);
    ASSERT_EQ(plan.indexes.size(), 2U);
    EXPECT_EQ(plan.tables, (std::vector<pg::CaptureTable>{
                               {"", "brands"}, {"", "products"}, {"shop", "tags"}}));
    ASSERT_EQ(plan.refusals.size(), 1U);
    EXPECT_EQ(plan.refusals[0],
              "index products: table regions: not joined to products by equality of columns "
              "(a.x = b.y); map it under capture.tables.regions");
    EXPECT_EQ(plan.need_old_rows, (std::vector<pg::CaptureTable>{{"shop", "tags"}}));
}

TEST(CapturePlan, ATableMappedByHandIsPublishedAndNoLongerRefused) {
    const CapturePlan plan = capture_plan(shop(R"(capture:
  tables:
    regions:
      index: products
      query: SELECT p.id FROM products p JOIN regions r ON r.lo <= p.zip WHERE r.id = ANY($1)
)"),
                                          kQueryOf);
    EXPECT_TRUE(plan.refusals.empty()) << plan.refusals[0];
    EXPECT_EQ(plan.tables.size(), 4U);
    const auto& feeds = plan.indexes[0].shape.feeds;
    ASSERT_FALSE(feeds.empty());
    EXPECT_EQ(feeds.back().table.name, "regions");
    EXPECT_EQ(feeds.back().kind, pg::FeedKind::kAssociation);
    EXPECT_TRUE(feeds.back().column.empty());
    EXPECT_TRUE(feeds.back().all_columns);
}

}  // namespace
}  // namespace kt::workers::capture
