#include <gtest/gtest.h>

#include <initializer_list>
#include <string_view>

#include "lib/es/engine_version.hpp"

namespace kt::es {
namespace {

bool supported(std::string_view distribution, std::string_view number) {
    return judge_engine(distribution, number).supported;
}

/// Expects every one of `numbers` of `distribution` to be supported, or every one not to be.
void expect_supported(std::string_view distribution,
                      std::initializer_list<std::string_view> numbers, bool want) {
    for (const auto number : numbers) {
        EXPECT_EQ(supported(distribution, number), want) << distribution << " " << number;
    }
}

TEST(EngineVersion, ElasticsearchIsSupportedThroughEvery8) {
    expect_supported("", {"8.0.0", "8.14.3", "8.99.0"}, true);
    expect_supported("", {"6.8.23", "7.17.25", "9.0.0", "9.1.0", "10.0.0"}, false);
}

TEST(EngineVersion, OpenSearchIsSupportedThroughEvery2) {
    expect_supported("opensearch", {"2.0.0", "2.19.6"}, true);
    expect_supported("opensearch", {"1.3.20", "3.0.0", "3.1.0"}, false);
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
    expect_supported("", {"8.0.0-rc2", "8.15.0-SNAPSHOT", "8.14"}, true);
    expect_supported("", {"9.0.0-beta1"}, false);
    expect_supported("opensearch", {"3.0.0-alpha1"}, false);
}

TEST(EngineVersion, AnUnknownDistributionIsNotSupportedAndKeepsItsName) {
    const auto verdict = judge_engine("opendistro", "1.13.2");
    EXPECT_FALSE(verdict.supported);
    EXPECT_EQ(verdict.product, "opendistro 1.13.2");
}

TEST(EngineVersion, AnUnparsableVersionIsNotSupported) {
    expect_supported("", {"", "8", "8.", "v8.14.3", " 8.14.3", "-8.14", "8.-1"}, false);
    expect_supported("", {"99999999999999999999.1"}, false);
    expect_supported("opensearch", {"two.nineteen"}, false);
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
