// `kt check` against the real development stack: connectivity and each index query.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>

#include "tests/support/run_command.hpp"
#include "tests/support/test_env.hpp"

namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

kt::test::CommandResult kt_check(const std::string& config) {
    return kt::test::run_command(std::string(KT_BINARY_DIR) + "/cmd/kt check --config '" + config + "'");
}

std::string write_config(const std::string& table, const std::string& query_table) {
    const fs::path file = fs::temp_directory_path() / (kt::test::unique_name("kt_check") + ".yaml");
    std::ofstream(file) << "kafka:\n  brokers: " << kt::test::kafka_brokers()
                        << "\npostgres:\n  url: " << kt::test::postgres_url()
                        << "\nelasticsearch:\n  url: " << kt::test::es_url()
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
