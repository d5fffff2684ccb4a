// `kt check` against the real development stack: connectivity, the Kafka cluster, search engine
// and PostgreSQL versions it names, and each index query.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/support/run_command.hpp"
#include "tests/support/test_env.hpp"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

kt::test::CommandResult kt_check(const std::string& config) {
    return kt::test::run_command(std::string(KT_BINARY_DIR) + "/cmd/kt check --config '" + config + "'");
}

std::string write_config(const std::string& table, const std::string& query_table,
                         const std::string& es_url = kt::test::es_url()) {
    const fs::path file = fs::temp_directory_path() / (kt::test::unique_name("kt_check") + ".yaml");
    std::ofstream(file) << "kafka:\n  brokers: " << kt::test::kafka_brokers()
                        << "\npostgres:\n  url: " << kt::test::postgres_url()
                        << "\nelasticsearch:\n  url: " << es_url
                        << "\nindexes:\n  " << table << "_short:\n    table: " << table
                        << "\n  " << table << "_query:\n    query: SELECT id, to_jsonb(t) AS doc FROM "
                        << query_table << " t WHERE id = ANY($1::bigint[])\n"
                        << "cascades:\n  " << table << "_children:\n    topic: " << table
                        << "_parents\n    target: " << table << "_short\n    query: SELECT id FROM "
                        << query_table << " WHERE id = ANY($1::bigint[])\n";
    return file.string();
}

TEST(KtCheckLive, PassesWhenEverythingIsReachableAndEveryQueryRuns) {
    const std::string table = kt::test::unique_name("check_items");
    {
        pqxx::connection c(kt::test::postgres_url());
        pqxx::work w(c);
        w.exec0("CREATE TABLE " + table + " (id bigint PRIMARY KEY, name text)");
        w.exec0("INSERT INTO " + table + " VALUES (1, 'one')");
        w.commit();
    }
    const auto run = kt_check(write_config(table, table));
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
    explicit FakeEngine(std::string root_body) {
        server_.Get("/", [body = std::move(root_body)](const httplib::Request&,
                                                       httplib::Response& res) {
            res.set_content(body, "application/json");
        });
        port_ = server_.bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        EXPECT_TRUE(kt::test::wait_until([this] { return server_.is_running(); }, 5s));
    }
    ~FakeEngine() {
        server_.stop();
        thread_.join();
    }
    FakeEngine(const FakeEngine&) = delete;
    FakeEngine& operator=(const FakeEngine&) = delete;

    [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

private:
    httplib::Server server_;
    int port_ = 0;
    std::thread thread_;
};

TEST(KtCheckLive, SaysWhichKafkaSearchEngineAndPostgreSqlItReached) {
    const std::string table = kt::test::unique_name("check_items");
    {
        pqxx::connection c(kt::test::postgres_url());
        pqxx::work w(c);
        w.exec0("CREATE TABLE " + table + " (id bigint PRIMARY KEY, name text)");
        w.commit();
    }
    const auto run = kt_check(write_config(table, table));
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
    const std::string table = kt::test::unique_name("check_items");
    {
        pqxx::connection c(kt::test::postgres_url());
        pqxx::work w(c);
        w.exec0("CREATE TABLE " + table + " (id bigint PRIMARY KEY, name text)");
        w.commit();
    }
    const std::string tested = "(tested: Elasticsearch 8.x, OpenSearch 2.x)";
    const std::vector<std::pair<std::string, std::string>> engines = {
        {R"({"version":{"number":"9.1.0","build_flavor":"default"}})", "Elasticsearch 9.1.0"},
        {R"({"version":{"distribution":"opensearch","number":"3.0.0"}})", "OpenSearch 3.0.0"},
        {R"({"version":{"number":"7.9.3"}})", "Elasticsearch 7.9.3"}};
    for (const auto& [root_body, product] : engines) {
        FakeEngine es(root_body);
        const auto run = kt_check(write_config(table, table, es.url()));
        EXPECT_EQ(run.exit_code, 0) << run.output;
        EXPECT_THAT(run.output, HasSubstr("elasticsearch " + es.url() + ": ok (" + product + ")"));
        EXPECT_THAT(run.output, HasSubstr("elasticsearch " + es.url() + ": warning: " + product +
                                          " is not a version kt is tested with " + tested));
    }
}

TEST(KtCheckLive, NamesTheIndexWhoseTableDoesNotExist) {
    const std::string table = kt::test::unique_name("check_items");
    {
        pqxx::connection c(kt::test::postgres_url());
        pqxx::work w(c);
        w.exec0("CREATE TABLE " + table + " (id bigint PRIMARY KEY, name text)");
        w.commit();
    }
    const auto run = kt_check(write_config(table, table + "_missing"));
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_THAT(run.output, HasSubstr("postgres: indexes." + table + "_query:"));
    EXPECT_THAT(run.output, HasSubstr(table + "_missing"));
    EXPECT_THAT(run.output, HasSubstr("postgres: indexes." + table + "_short: ok"));
    EXPECT_THAT(run.output, HasSubstr("postgres: cascades." + table + "_children:"));
    EXPECT_THAT(run.output, ::testing::Not(HasSubstr("cascades." + table + "_children: ok")));
}

}  // namespace
