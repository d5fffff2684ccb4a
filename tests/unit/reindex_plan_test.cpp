#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lib/error.hpp"
#include "workers/reindex/plan.hpp"

namespace kt::workers {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ReindexPlan, LoadSettingsTurnRefreshAndReplicasOffAndRestoreDefaults) {
    const LoadSettings s = load_settings(R"({"mappings":{"dynamic":"strict"}})");
    const json create = json::parse(s.create_body);
    EXPECT_EQ(create["mappings"]["dynamic"], "strict");
    EXPECT_EQ(create["settings"]["index"]["refresh_interval"], "-1");
    EXPECT_EQ(create["settings"]["index"]["number_of_replicas"], "0");
    EXPECT_EQ(json::parse(s.restore_body),
              json::parse(R"({"index":{"refresh_interval":"1s","number_of_replicas":"1"}})"));
    EXPECT_EQ(json::parse(load_settings("").create_body)["settings"]["index"]["refresh_interval"],
              "-1");
}

TEST(ReindexPlan, LoadSettingsRestoreTheFilesValuesWhateverTheirShape) {
    const LoadSettings flat =
        load_settings(R"({"settings":{"refresh_interval":"30s","number_of_replicas":2,"x":1}})");
    const json create = json::parse(flat.create_body);
    EXPECT_FALSE(create["settings"].contains("refresh_interval"));
    EXPECT_FALSE(create["settings"].contains("number_of_replicas"));
    EXPECT_EQ(create["settings"]["x"], 1);
    EXPECT_EQ(json::parse(flat.restore_body),
              json::parse(R"({"index":{"refresh_interval":"30s","number_of_replicas":"2"}})"));

    const LoadSettings nested =
        load_settings(R"({"settings":{"index":{"refresh_interval":"5s","number_of_shards":3}}})");
    const json nested_create = json::parse(nested.create_body);
    EXPECT_EQ(nested_create["settings"]["index"]["number_of_shards"], 3);
    EXPECT_EQ(nested_create["settings"]["index"]["refresh_interval"], "-1");
    EXPECT_EQ(json::parse(nested.restore_body)["index"]["refresh_interval"], "5s");

    const LoadSettings dotted = load_settings(R"({"settings":{"index.number_of_replicas":"3"}})");
    EXPECT_FALSE(json::parse(dotted.create_body)["settings"].contains("index.number_of_replicas"));
    EXPECT_EQ(json::parse(dotted.restore_body)["index"]["number_of_replicas"], "3");

    EXPECT_THROW((void)load_settings("[1]"), Error);
}

TEST(ReindexPlan, SwapRemovesEveryOldIndexAndAddsTheNewAsWriteIndex) {
    const auto actions = swap_actions("p", {"p_1", "p_2"}, "p_3");
    ASSERT_EQ(actions.size(), 3U);
    EXPECT_EQ(actions[0].kind, es::AliasAction::Kind::kRemove);
    EXPECT_EQ(actions[0].index, "p_1");
    EXPECT_EQ(actions[1].index, "p_2");
    EXPECT_EQ(actions[2].kind, es::AliasAction::Kind::kAdd);
    EXPECT_EQ(actions[2].index, "p_3");
    EXPECT_EQ(actions[2].alias, "p");
    EXPECT_EQ(actions[2].is_write_index, true);
    EXPECT_EQ(swap_actions("p", {}, "p_3").size(), 1U);
}

TEST(ReindexPlan, AnImportedSnapshotIsWrittenWithTheLargerOfItsCountAndALaterOne) {
    // A slot's snapshot counts aborted transactions of its range as in progress: a later
    // ordinary snapshot's count is the one no older snapshot can exceed.
    EXPECT_EQ(imported_snapshot_count(1000, 1004), 1004);
    EXPECT_EQ(imported_snapshot_count(1000, 1000), 1000);
    EXPECT_EQ(imported_snapshot_count(1004, 1000), 1004);
}

TEST(ReindexPlan, IdListsSplitOnCommasAndLineBreaksOnceEach) {
    EXPECT_THAT(parse_id_list("1,2,3"), ElementsAre("1", "2", "3"));
    EXPECT_THAT(parse_id_list("7\n8\r\n 7 ,sku-1,,\n"), ElementsAre("7", "8", "sku-1"));
    EXPECT_TRUE(parse_id_list(" , \n").empty());
}

TEST(ReindexPlan, ProgressShowsRateEstimateAndEta) {
    const ProgressSnapshot p{500, 1000, 10.0};
    const std::string bar = progress_bar(p, 80);
    EXPECT_THAT(bar, HasSubstr("50%"));
    EXPECT_THAT(bar, HasSubstr("500/1000 rows"));
    EXPECT_THAT(bar, HasSubstr("50 rows/s"));
    EXPECT_THAT(bar, HasSubstr("ETA 10s"));
    EXPECT_EQ(bar.rfind("[#####", 0), 0U);
    EXPECT_LE(bar.size(), 80U);
    EXPECT_EQ(progress_line("products", p),
              "reindex products: 500 of ~1000 rows (50%), 50 rows/s, ETA 10s");
    EXPECT_EQ(progress_line("products", ProgressSnapshot{30, -1, 3.0}),
              "reindex products: 30 rows, 10 rows/s");
    EXPECT_THAT(progress_bar(ProgressSnapshot{30, -1, 3.0}), HasSubstr("10 rows/s"));
}

}  // namespace
}  // namespace kt::workers
