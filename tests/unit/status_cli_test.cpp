// `kt status`: the groups derived from the config, the report built from two looks at Kafka and
// the text table (pure parts; the live command is tested in tests/integration/status_*).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cmd/kt/status.hpp"
#include "lib/config/loader.hpp"

namespace kt::cmd {
namespace {

using workers::build_status_report;
using workers::OffsetsSample;
using workers::status_targets;
using workers::StatusTarget;

using ::testing::HasSubstr;
using ::testing::Not;

/// Expects `target` to be `worker`'s `group` on `topic`, with its dead letters on `dead_letters`.
void expect_target(const StatusTarget& target, const std::string& worker, const std::string& group,
                   const std::string& topic, const std::string& dead_letters) {
    EXPECT_EQ(target.worker, worker) << group;
    EXPECT_EQ(target.group, group);
    EXPECT_EQ(target.topic, topic) << group;
    EXPECT_EQ(target.dead_letter_topic, dead_letters) << group;
}

TEST(StatusTargets, DerivesEveryGroupFromThePrefixWorkerAndName) {
    const auto config = config::load_string(R"(
kafka:
  brokers: localhost:9092
  group_prefix: shop
postgres:
  url: postgresql://localhost/shop
elasticsearch:
  url: http://localhost:9200
indexes:
  products:
    table: products
  orders:
    topic: order_events
    table: orders
    dead_letter_topic: orders_dead
delayers:
  delay_5m: { delay: 5m, target: products }
cascades:
  brand_products:
    topic: brands
    query: SELECT id FROM products WHERE brand_id = ANY($1::bigint[])
    target: products
)",
                                            "kt.yaml", "");
    const auto targets = status_targets(config);
    ASSERT_EQ(targets.size(), 4U);
    expect_target(targets[0], "indexer", "shop.indexer.products", "products", "products.dlq");
    expect_target(targets[1], "indexer", "shop.indexer.orders", "order_events", "orders_dead");
    expect_target(targets[2], "delayer", "shop.delayer.delay_5m", "delay_5m", "delay_5m.dlq");
    expect_target(targets[3], "cascader", "shop.cascader.brand_products", "brands", "brands.dlq");
}

std::vector<StatusTarget> two_targets() {
    return {{"indexer", "products", "kt.indexer.products", "products", "products.dlq"},
            {"delayer", "delay_5m", "kt.delayer.delay_5m", "delay_5m", "delay_5m.dlq"}};
}

TEST(BuildStatusReport, TakesOffsetsFromTheLatestLookAndRatesFromTheProgress) {
    OffsetsSample before;
    before.seconds = 100;
    before.groups = {{"", {{0, 10, 0, 40}, {1, http::kUnknownOffset, 0, 5}}, 3}, {"", {}, {}}};
    OffsetsSample after;
    after.seconds = 102;
    after.groups = {{"", {{0, 30, 0, 50}, {1, 4, 0, 5}}, 4},
                    {"", {{0, 1, 0, 9}, {1, http::kUnknownOffset, 2, 6}}, std::nullopt}};

    const auto report = build_status_report(two_targets(), before, after, 1764655800);
    EXPECT_EQ(report.source, "kt status");
    ASSERT_EQ(report.groups.size(), 2U);
    const auto& ix = report.groups[0];
    EXPECT_EQ(ix.group, "kt.indexer.products");
    EXPECT_EQ(ix.dead_letters, 4);
    ASSERT_EQ(ix.partitions.size(), 2U);
    EXPECT_EQ(ix.partitions[0], (http::PartitionStatus{0, 30, 50, 20, 10.0}));
    // No commit before: no rate yet, but the lag is known.
    EXPECT_EQ(ix.partitions[1], (http::PartitionStatus{1, 4, 5, 1, 0.0}));
    EXPECT_FALSE(ix.held);

    const auto& d = report.groups[1];
    EXPECT_FALSE(d.dead_letters);
    // A group that never committed starts from the low watermark.
    EXPECT_EQ(d.partitions[1].lag, 4);
    EXPECT_EQ(d.held, 8 + 4);  // the delayer's held envelopes are its lag
}

TEST(BuildStatusReport, KeepsTheProblemOfAMissingTopic) {
    OffsetsSample after;
    after.groups = {{"topic products does not exist", {}, std::nullopt}, {"", {}, 0}};
    const auto report = build_status_report(two_targets(), {}, after, 0);
    EXPECT_EQ(report.groups[0].problem, "topic products does not exist");
    EXPECT_TRUE(report.groups[0].partitions.empty());
}

http::StatusReport table_report() {
    OffsetsSample before;
    before.seconds = 0;
    before.groups = {{"", {{0, 100, 0, 120}, {1, 7, 0, 7}}, 3}, {"", {{0, 0, 0, 2}}, 0}};
    OffsetsSample after;
    after.seconds = 2;
    after.groups = {{"", {{0, 120, 0, 120}, {1, 7, 0, 9}}, 3}, {"", {{0, 0, 0, 2}}, 0}};
    auto report = build_status_report(two_targets(), before, after, 0);
    report.groups[1].next_release_in = 272.4;
    report.groups[0].last_error = "elasticsearch 503";
    report.groups[0].last_error_at = 1764655800;
    return report;
}

TEST(RenderStatusTable, OneAlignedRowPerPartition) {
    const std::string table = render_status_table(table_report());
    EXPECT_EQ(table,
              "GROUP                TOPIC     PARTITION  COMMITTED  END  LAG  MSG/S  DEAD LETTERS\n"
              "kt.indexer.products  products          0        120  120    0   10.0             3\n"
              "                                       1          7    9    2    0.0\n"
              "kt.delayer.delay_5m  delay_5m          0          0    2    2    0.0             0\n"
              "indexer products: last error at 2025-12-02T06:10:00Z: elasticsearch 503\n"
              "delayer delay_5m: 2 envelope(s) held, next release in 4.5 min\n");
}

TEST(RenderStatusTable, ShowsMissingTopicsAndUnknownOffsetsAsDashes) {
    OffsetsSample after;
    after.groups = {{"topic products does not exist", {}, std::nullopt},
                    {"", {{0, http::kUnknownOffset, 0, 0}}, std::nullopt}};
    const std::string table = render_status_table(build_status_report(two_targets(), {}, after, 0));
    EXPECT_THAT(table, HasSubstr("kt.indexer.products  products          -          -    -    -"));
    EXPECT_THAT(table, HasSubstr("indexer products: topic products does not exist\n"));
    EXPECT_THAT(table, HasSubstr("kt.delayer.delay_5m  delay_5m          0          -    0    0"));
    EXPECT_THAT(table, HasSubstr("delayer delay_5m: 0 envelope(s) held\n"));
    EXPECT_THAT(table, Not(HasSubstr("next release")));
}

}  // namespace
}  // namespace kt::cmd
