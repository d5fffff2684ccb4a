// `kt check` against the real development stack: connectivity, the Kafka cluster, search engine
// and PostgreSQL versions it names, and each index query.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/fixture.hpp"
#include "tests/support/http_server.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/test_env.hpp"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

/// A table with unique name `<name>` and a config naming it: an index by the table: shorthand,
/// one whose query reads `query_table`, and a cascade on that table.
class CheckSetup : public kt::test::Fixture {
public:
    CheckSetup() : Fixture("check_items") {
        create_tables("CREATE TABLE " + name() + " (id bigint PRIMARY KEY, name text)", {name()});
    }

    /// `kt check` with a config whose query reads `query_table`, on search server `es_url`.
    kt::test::CommandResult check(const std::string& query_table,
                                  const std::string& es_url = kt::test::es_url()) {
        auto config = this->config();
        config.group_prefix.clear();
        config.properties.clear();
        config.es_url = es_url;
        config.sections = fmt::format(
            "indexes:\n  {0}_short:\n    table: {0}\n"
            "  {0}_query:\n    query: SELECT id, to_jsonb(t) AS doc FROM {1} t "
            "WHERE id = ANY($1::bigint[])\n"
            "cascades:\n  {0}_children:\n    topic: {0}_parents\n    target: {0}_short\n"
            "    query: SELECT id FROM {1} WHERE id = ANY($1::bigint[])\n",
            name(), query_table);
        write_config(config);
        return kt("check");
    }
};

TEST(KtCheckLive, PassesWhenEverythingIsReachableAndEveryQueryRuns) {
    CheckSetup setup;
    const std::string& table = setup.name();
    setup.exec("INSERT INTO " + table + " VALUES (1, 'one')");
    const auto run = setup.check(table);
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_THAT(run.output, HasSubstr("elasticsearch"));
    EXPECT_THAT(run.output, HasSubstr("postgres: indexes." + table + "_query: ok"));
    EXPECT_THAT(run.output, HasSubstr("postgres: cascades." + table + "_children: ok"));
}

/// `Elasticsearch 8.14.3` or `OpenSearch 2.19.6`, read here from the server's own `GET /`.
std::string engine_of_stack() {
    httplib::Client client(kt::test::es_url());
    const auto res = client.Get("/");
    if (!res || res->status != 200) return "(GET / failed)";
    const auto version = nlohmann::json::parse(res->body).at("version");
    const std::string distribution = version.value("distribution", "");
    const std::string name = distribution == "opensearch" ? "OpenSearch" : "Elasticsearch";
    return name + " " + version.at("number").get<std::string>();
}

/// The number PostgreSQL itself shows: `15.10` of `15.10 (Debian 15.10-1.pgdg120+1)`.
std::string postgres_version() {
    pqxx::connection c(kt::test::postgres_url());
    pqxx::nontransaction tx(c);
    const std::string shown = tx.exec1("SHOW server_version")[0].as<std::string>();
    return shown.substr(0, shown.find(' '));
}

/// Answers `GET /` with `root_body` on a free loopback port: a search engine of any version.
class FakeEngine {
public:
    explicit FakeEngine(std::string root_body)
        : server_([&root_body](httplib::Server& server) {
              server.Get("/", [body = std::move(root_body)](const httplib::Request&,
                                                            httplib::Response& res) {
                  res.set_content(body, "application/json");
              });
          }) {}

    [[nodiscard]] std::string url() const { return server_.url(); }

private:
    kt::test::LocalHttpServer server_;
};

TEST(KtCheckLive, SaysWhichKafkaSearchEngineAndPostgreSqlItReached) {
    CheckSetup setup;
    const std::string& table = setup.name();
    const auto run = setup.check(table);
    EXPECT_EQ(run.exit_code, 0) << run.output;

    const std::string kafka = "kafka " + kt::test::kafka_brokers() + ": ok (cluster ";
    ASSERT_THAT(run.output, HasSubstr(kafka));
    const std::string rest = run.output.substr(run.output.find(kafka) + kafka.size());
    const std::regex kafka_rest(R"(^[A-Za-z0-9_-]+, 1 broker\(s\), \d+ topic\(s\)\)\n)");
    EXPECT_TRUE(std::regex_search(rest, kafka_rest)) << run.output;

    const std::string engine = engine_of_stack();
    EXPECT_THAT(run.output,
                HasSubstr("elasticsearch " + kt::test::es_url() + ": ok (" + engine + ")\n"));
    EXPECT_THAT(run.output, Not(HasSubstr("warning")));

    const std::string postgres = "postgres: ok (PostgreSQL " + postgres_version() + ")\n";
    EXPECT_THAT(run.output, HasSubstr(postgres));
    // Once, before the queries are checked.
    const auto at = run.output.find(postgres);
    EXPECT_EQ(run.output.find(postgres, at + 1), std::string::npos) << run.output;
    EXPECT_LT(at, run.output.find("postgres: indexes.")) << run.output;
}

TEST(KtCheckLive, WarnsAboutASearchEngineVersionItIsNotTestedWithAndStillPasses) {
    CheckSetup setup;
    const std::string& table = setup.name();
    const std::string tested = "(tested: Elasticsearch 8.x, OpenSearch 2.x)";
    const std::vector<std::pair<std::string, std::string>> engines = {
        {R"({"version":{"number":"9.1.0","build_flavor":"default"}})", "Elasticsearch 9.1.0"},
        {R"({"version":{"distribution":"opensearch","number":"3.0.0"}})", "OpenSearch 3.0.0"},
        {R"({"version":{"number":"7.9.3"}})", "Elasticsearch 7.9.3"}};
    for (const auto& [root_body, product] : engines) {
        FakeEngine es(root_body);
        const auto run = setup.check(table, es.url());
        EXPECT_EQ(run.exit_code, 0) << run.output;
        EXPECT_THAT(run.output, HasSubstr("elasticsearch " + es.url() + ": ok (" + product + ")"));
        EXPECT_THAT(run.output, HasSubstr("elasticsearch " + es.url() + ": warning: " + product +
                                          " is not a version kt is tested with " + tested));
    }
}

TEST(KtCheckLive, NamesTheIndexWhoseTableDoesNotExist) {
    CheckSetup setup;
    const std::string& table = setup.name();
    const auto run = setup.check(table + "_missing");
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_THAT(run.output, HasSubstr("postgres: indexes." + table + "_query:"));
    EXPECT_THAT(run.output, HasSubstr(table + "_missing"));
    EXPECT_THAT(run.output, HasSubstr("postgres: indexes." + table + "_short: ok"));
    EXPECT_THAT(run.output, HasSubstr("postgres: cascades." + table + "_children:"));
    EXPECT_THAT(run.output, ::testing::Not(HasSubstr("cascades." + table + "_children: ok")));
}

}  // namespace
