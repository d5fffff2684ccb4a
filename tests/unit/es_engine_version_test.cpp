#include <gtest/gtest.h>

#include "lib/es/engine_version.hpp"

namespace kt::es {
namespace {

bool supported(std::string_view distribution, std::string_view number) {
    return judge_engine(distribution, number).supported;
}

TEST(EngineVersion, ElasticsearchIsSupportedThroughEvery8) {
    EXPECT_FALSE(supported("", "6.8.23"));
    EXPECT_FALSE(supported("", "7.17.25"));
    EXPECT_TRUE(supported("", "8.0.0"));
    EXPECT_TRUE(supported("", "8.14.3"));
    EXPECT_TRUE(supported("", "8.99.0"));
    EXPECT_FALSE(supported("", "9.0.0"));
    EXPECT_FALSE(supported("", "9.1.0"));
    EXPECT_FALSE(supported("", "10.0.0"));
}

TEST(EngineVersion, OpenSearchIsSupportedThroughEvery2) {
    EXPECT_FALSE(supported("opensearch", "1.3.20"));
    EXPECT_TRUE(supported("opensearch", "2.0.0"));
    EXPECT_TRUE(supported("opensearch", "2.19.6"));
    EXPECT_FALSE(supported("opensearch", "3.0.0"));
    EXPECT_FALSE(supported("opensearch", "3.1.0"));
}

TEST(EngineVersion, OpenSearchIsJudgedByItsOwnNumbersNotElasticsearchs) {
    // OpenSearch 8.x would be a supported Elasticsearch, and Elasticsearch 2.x an old one.
    EXPECT_FALSE(supported("opensearch", "8.14.3"));
    EXPECT_FALSE(supported("", "2.19.6"));
}

TEST(EngineVersion, NamesTheDistributionAsPeopleWriteIt) {
    EXPECT_EQ(judge_engine("", "8.14.3").product, "Elasticsearch 8.14.3");
    EXPECT_EQ(judge_engine("default", "8.14.3").product, "Elasticsearch 8.14.3");
    EXPECT_EQ(judge_engine("opensearch", "2.19.6").product, "OpenSearch 2.19.6");
    EXPECT_EQ(judge_engine("OpenSearch", "2.19.6").product, "OpenSearch 2.19.6");
    EXPECT_TRUE(supported("default", "8.14.3"));
    EXPECT_TRUE(supported("OpenSearch", "2.19.6"));
}

TEST(EngineVersion, PreReleasesCountAsTheirRelease) {
    EXPECT_TRUE(supported("", "8.0.0-rc2"));
    EXPECT_TRUE(supported("", "8.15.0-SNAPSHOT"));
    EXPECT_TRUE(supported("", "8.14"));
    EXPECT_FALSE(supported("", "9.0.0-beta1"));
    EXPECT_FALSE(supported("opensearch", "3.0.0-alpha1"));
}

TEST(EngineVersion, AnUnknownDistributionIsNotSupportedAndKeepsItsName) {
    const auto verdict = judge_engine("opendistro", "1.13.2");
    EXPECT_FALSE(verdict.supported);
    EXPECT_EQ(verdict.product, "opendistro 1.13.2");
}

TEST(EngineVersion, AnUnparsableVersionIsNotSupported) {
    EXPECT_FALSE(supported("", ""));
    EXPECT_FALSE(supported("", "8"));
    EXPECT_FALSE(supported("", "8."));
    EXPECT_FALSE(supported("", "v8.14.3"));
    EXPECT_FALSE(supported("", " 8.14.3"));
    EXPECT_FALSE(supported("", "-8.14"));
    EXPECT_FALSE(supported("", "8.-1"));
    EXPECT_FALSE(supported("", "99999999999999999999.1"));
    EXPECT_FALSE(supported("opensearch", "two.nineteen"));
    EXPECT_EQ(judge_engine("", "").product, "Elasticsearch of unknown version");
}

TEST(EngineVersion, WarnsNamingTheVersionAndWhatIsTested) {
    EXPECT_EQ(judge_engine("", "9.1.0").warning,
              "Elasticsearch 9.1.0 is not a version kt is tested with "
              "(tested: Elasticsearch 8.x, OpenSearch 2.x)");
    EXPECT_EQ(judge_engine("opensearch", "3.0.0").warning,
              "OpenSearch 3.0.0 is not a version kt is tested with "
              "(tested: Elasticsearch 8.x, OpenSearch 2.x)");
    EXPECT_EQ(judge_engine("", "8.14.3").warning, "");
    EXPECT_EQ(judge_engine("opensearch", "2.19.6").warning, "");
}

}  // namespace
}  // namespace kt::es
