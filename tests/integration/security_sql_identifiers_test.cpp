// Hostile SQL identifiers and ids: table and column names from the config are quoted, ids are
// only ever bound parameters. A table named `we"ird; drop…` with a primary key column containing
// a space and a column `sel"ect`, served through the `table:` shorthand and a custom query, with
// ids that are SQL injections.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "lib/kafka/producer.hpp"
#include "tests/support/dev_stack.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/security_stack.hpp"
#include "tests/support/test_env.hpp"
#include "tests/support/worker_process.hpp"

namespace kt::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::HasSubstr;

/// Double-quotes `name` for SQL, doubling embedded quotes.
std::string sql_name(const std::string& name) {
    std::string out = "\"";
    for (const char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

/// `text` as a YAML double-quoted scalar.
std::string yaml_string(const std::string& text) {
    return json(text).dump();
}

class HostileIdentifiers : public ::testing::Test {
protected:
    HostileIdentifiers()
        : table_("we\"ird; drop " + fixture_.name()),
          victim_("victim_" + fixture_.name()),
          whole_row_(fixture_.name("row")),
          custom_(fixture_.name("query")) {
        fixture_.drop_at_end(sql_name(table_));
        fixture_.create_tables(fmt::format("CREATE TABLE {0} (n int);"
                                           "INSERT INTO {0} VALUES (42)",
                                           victim_),
                               {victim_});
        fixture_.exec(fmt::format(R"(CREATE TABLE {} ("my id" text PRIMARY KEY, "sel""ect" text))",
                                  sql_name(table_)));
        for (const auto& [id, value] : rows()) {
            pqxx::nontransaction tx(db());
            tx.exec_params(fmt::format(R"(INSERT INTO {} VALUES ($1, $2))", sql_name(table_)), id,
                           value);
        }
        fixture_.create_topic_with_dead_letters(whole_row_, 2);
        fixture_.create_topic_with_dead_letters(custom_, 2);
        const std::string query = fmt::format(
            R"(SELECT "my id" AS id, jsonb_build_object('v', "sel""ect") AS doc FROM {} WHERE "my id" = ANY($1))",
            sql_name(table_));
        auto config = fixture_.config();
        config.sections = fmt::format(R"(indexes:
  {}:
    table: {}
    batch_wait: 100ms
  {}:
    query: {}
    scan_query: {}
    batch_wait: 100ms
)",
                                      whole_row_, yaml_string(table_), custom_, yaml_string(query),
                                      yaml_string(query.substr(0, query.find(" WHERE"))));
        fixture_.write_config(config);
    }

    /// id -> value of `sel"ect`.
    [[nodiscard]] std::map<std::string, std::string> rows() const {
        return {{"1'); DROP TABLE " + victim_ + ";--", "injected"},
                {"2\"); DROP TABLE " + sql_name(table_) + ";--", "double quoted"},
                {"it's \"quoted\" $1 \\", "quotes"},
                {"with space", "space"}};
    }
    [[nodiscard]] std::string config() const { return fixture_.config_path(); }

    void produce_ids(const std::string& topic) {
        kafka::Producer producer(broker_options());
        for (const auto& [id, value] : rows()) {
            producer.produce(topic, id, json{{"id", id}}.dump());
        }
        const auto flushed = producer.flush(30s);
        ASSERT_TRUE(flushed.ok());
    }

    /// `_source` of each id found in `alias`.
    std::map<std::string, json> documents(const std::string& alias) {
        json ids = json::array();
        for (const auto& [id, value] : rows()) ids.push_back(id);
        std::map<std::string, json> out;
        const auto docs = es_mget(es_url(), "", alias, ids);
        if (!docs) return out;
        for (const auto& doc : *docs) {
            if (doc.value("found", false)) out[doc.at("_id")] = doc.at("_source");
        }
        return out;
    }

    /// This test's own connection (opened on first use).
    pqxx::connection& db() {
        if (!db_) db_.emplace(fixture_.postgres_url());
        return *db_;
    }

    Fixture fixture_{"sec_sql"};
    std::optional<pqxx::connection> db_;
    std::string table_;
    std::string victim_;
    std::string whole_row_;
    std::string custom_;
};

TEST_F(HostileIdentifiers, KtCheckRunsBothQueries) {
    const auto run =
        run_command(binary("kt") + " check --config '" + config() + "'");
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_THAT(run.output, HasSubstr("postgres: indexes." + whole_row_ + ": ok"));
    EXPECT_THAT(run.output, HasSubstr("postgres: indexes." + custom_ + ": ok"));
}

TEST_F(HostileIdentifiers, RowsAreIndexedAndNothingIsDropped) {
    WorkerProcess indexer(
        {binary("kt-indexer"), {"--config", config(), "--metrics-port", "0"}, {}, {}});
    produce_ids(whole_row_);
    produce_ids(custom_);

    std::map<std::string, json> expected_row;
    std::map<std::string, json> expected_custom;
    for (const auto& [id, value] : rows()) {
        expected_row[id] = json{{"my id", id}, {"sel\"ect", value}};
        expected_custom[id] = json{{"v", value}};
    }
    std::map<std::string, json> got_row;
    std::map<std::string, json> got_custom;
    EXPECT_TRUE(wait_until(
        [&] {
            got_row = documents(whole_row_);
            got_custom = documents(custom_);
            return got_row == expected_row && got_custom == expected_custom;
        },
        60s, 200ms))
        << json(got_row).dump() << "\n"
        << json(got_custom).dump() << "\n"
        << indexer.log();
    indexer.terminate();
    EXPECT_EQ(indexer.wait_exit(15s), 0) << indexer.log();
    EXPECT_EQ(indexer.count_in_log("dead letter"), 0U) << indexer.log();

    pqxx::nontransaction tx(db());
    EXPECT_EQ(tx.exec1("SELECT n FROM " + victim_)[0].as<int>(), 42);
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM " + sql_name(table_))[0].as<int>(), 4);

    // The row scanner of `kt verify` quotes them too.
    for (const auto& index : {whole_row_, custom_}) {
        const auto verify =
            run_command(binary("kt") + " verify --config '" + config() + "' " + index);
        EXPECT_EQ(verify.exit_code, 0) << verify.output;
    }
}

}  // namespace
}  // namespace kt::test
