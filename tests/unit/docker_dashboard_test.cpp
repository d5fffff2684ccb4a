// docker/grafana-dashboard.json read statically: a dashboard Grafana can import, whose queries
// use only kt metrics in ways their types allow. That the metrics exist with those labels is
// checked against running workers by the integration test DockerMetrics.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <regex>

#include "tests/unit/docker_test_support.hpp"

namespace kt::test::docker {
namespace {

using nlohmann::json;

json dashboard() {
    return json::parse(read_text(source_path("docker/grafana-dashboard.json")));
}

/// Every PromQL expression of the dashboard: panel targets and template variable queries.
std::vector<std::string> expressions(const json& d) {
    std::vector<std::string> out;
    for (const auto& panel : d.at("panels")) {
        for (const auto& t : panel.value("targets", json::array())) out.push_back(t.at("expr"));
    }
    for (const auto& v : d.at("templating").at("list")) {
        if (v.at("type") == "query") out.push_back(v.at("definition"));
    }
    return out;
}

TEST(DockerDashboard, IsAnImportableDashboard) {
    const auto d = dashboard();
    EXPECT_EQ(d.at("uid"), "kt-workers");
    EXPECT_FALSE(d.at("title").get<std::string>().empty());
    std::set<int> ids;
    int graphs = 0;
    for (const auto& panel : d.at("panels")) {
        EXPECT_TRUE(ids.insert(panel.at("id").get<int>()).second) << "panel id " << panel.at("id");
        for (const char* key : {"h", "w", "x", "y"}) EXPECT_TRUE(panel.at("gridPos").contains(key));
        EXPECT_LE(panel.at("gridPos").at("x").get<int>() + panel.at("gridPos").at("w").get<int>(),
                  24);
        if (panel.at("type") == "row") continue;
        ++graphs;
        EXPECT_FALSE(panel.value("targets", json::array()).empty()) << panel.at("title");
        for (const auto& t : panel.at("targets")) {
            EXPECT_EQ(t.at("datasource").at("uid"), "${datasource}") << panel.at("title");
        }
    }
    EXPECT_GE(graphs, 12);
}

TEST(DockerDashboard, QueriesUseOnlyDefinedVariables) {
    const auto d = dashboard();
    std::set<std::string> defined{"__rate_interval", "__interval", "__range"};  // Grafana's own
    for (const auto& v : d.at("templating").at("list")) defined.insert(v.at("name"));
    EXPECT_TRUE(defined.contains("datasource"));
    const std::regex var(R"(\$\{?(\w+))");
    for (const auto& e : expressions(d)) {
        for (auto it = std::sregex_iterator(e.begin(), e.end(), var); it != std::sregex_iterator();
             ++it) {
            EXPECT_TRUE(defined.contains((*it)[1])) << "undefined $" << (*it)[1] << " in " << e;
        }
    }
}

TEST(DockerDashboard, RatesAreTakenOfCountersAndQuantilesOfBuckets) {
    const std::regex rate(R"((rate|increase)\((\w+))");
    const std::regex quantile(R"(histogram_quantile\(.*?rate\((\w+))");
    const std::regex metric(R"(\b[a-z_][a-z0-9_]*(?=\{|\[))");
    int rates = 0;
    for (const auto& e : expressions(dashboard())) {
        for (auto it = std::sregex_iterator(e.begin(), e.end(), metric);
             it != std::sregex_iterator(); ++it) {
            // kt's own families, and the process_* ones every worker exports as well.
            EXPECT_TRUE(it->str().starts_with("kt_") || it->str().starts_with("process_"))
                << it->str() << " is no metric of a kt worker: " << e;
        }
        for (auto it = std::sregex_iterator(e.begin(), e.end(), rate); it != std::sregex_iterator();
             ++it, ++rates) {
            const std::string name = (*it)[2];
            EXPECT_TRUE(name.ends_with("_total") || name.ends_with("_bucket"))
                << "rate of " << name << ", which is no counter: " << e;
        }
        if (e.find("histogram_quantile") != std::string::npos) {
            std::smatch m;
            ASSERT_TRUE(std::regex_search(e, m, quantile)) << e;
            EXPECT_TRUE(m[1].str().ends_with("_bucket")) << e;
            EXPECT_NE(e.find("by (le"), std::string::npos) << "quantile without le: " << e;
        }
    }
    EXPECT_GE(rates, 15);
}

}  // namespace
}  // namespace kt::test::docker
