// Hostile input end to end: the real kt-indexer, kt check and PostgreSQL, kt-devbroker and the
// Elasticsearch stand-in. SQL-looking ids are bound parameters (indexed verbatim, or simply not
// found), hostile messages are dead letters while the partition moves on, and a query on a
// missing table or an Elasticsearch that does not answer yet is reported at start and retried,
// not a crash loop.
//
// A 10 MB message is covered by the unit tests only: the development broker keeps at most
// 5 MiB per partition (and real Kafka refuses such a message by default).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lib/kafka/producer.hpp"
#include "lib/wire/messages.hpp"
#include "tests/support/dev_stack.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/security_stack.hpp"
#include "tests/support/test_env.hpp"
#include "tests/support/worker_process.hpp"

namespace kt::workers {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::HasSubstr;

constexpr auto kDeadline = 60s;
constexpr auto kExitDeadline = 10s;
const std::string kKtBinary = test::binary("kt");

/// Percent-encodes every byte but RFC 3986's unreserved ones, for a document id in a URL path.
std::string url_encode(std::string_view text) {
    std::string out;
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            out += ch;
        } else {
            out += fmt::format("%{:02X}", c);
        }
    }
    return out;
}

/// One index under test with unique names: a table keyed by `key_type`, a one-partition topic
/// with its dead-letter topic, and a config file serving it through `table:` (or `query:`).
class HostilePipeline : public test::Fixture {
public:
    /// `es_url` replaces the development stack's Elasticsearch in the config.
    explicit HostilePipeline(const std::string& key_type, std::string query_table = {},
                             std::string es_url = test::es_url())
        : Fixture("hostile"), es_url_(std::move(es_url)) {
        create_tables(fmt::format("CREATE TABLE {} (id {} PRIMARY KEY, title text NOT NULL)",
                                  name(), key_type),
                      {name()});
        create_topic_with_dead_letters(name(), 1);
        const std::string source =
            query_table.empty()
                ? fmt::format("    table: {}\n", name())
                : fmt::format("    query: SELECT id, to_jsonb(t) AS doc FROM {} t WHERE id = "
                              "ANY($1::bigint[])\n",
                              query_table);
        auto config = this->config();
        config.es_url = es_url_;
        config.es_timeout = "10s";
        config.sections = fmt::format("indexes:\n  {}:\n{}    batch_size: 100\n"
                                      "    batch_wait: 100ms\n",
                                      name(), source);
        write_config(config);
    }

    [[nodiscard]] std::string dead_letter_topic() const { return name() + ".dlq"; }

    /// Inserts a row with a text id, as a bound parameter like kt's own queries.
    void insert(const std::string& id, const std::string& title) {
        pqxx::nontransaction tx(db());
        tx.exec_params("INSERT INTO " + name() + " (id, title) VALUES ($1, $2)", id, title);
        tx.commit();
    }
    std::int64_t row_count() {
        pqxx::nontransaction tx(db());
        return tx.exec1("SELECT count(*) FROM " + name())[0].as<std::int64_t>();
    }

    /// Produces raw values, in order, to partition 0.
    void produce(const std::vector<std::string>& values) {
        kafka::Producer producer(test::broker_options());
        for (const auto& v : values) {
            producer.produce(kafka::Record{name(), std::nullopt, v, {}, 0, 0});
        }
        const auto flushed = producer.flush(30s);
        ASSERT_TRUE(flushed.ok());
        ASSERT_EQ(flushed.delivered, values.size());
    }

    std::unique_ptr<test::WorkerProcess> start_indexer() {
        return start_worker("kt-indexer", "indexer");
    }

    /// `_source` of document `id` behind the alias, nullopt when absent.
    std::optional<json> document(const std::string& id) {
        httplib::Client client(es_url_);
        const auto res = client.Get("/" + name() + "/_doc/" + url_encode(id));
        if (!res || res->status == 404) return std::nullopt;
        if (res->status != 200) return json{{"unexpected_status", res->status}};
        return json::parse(res->body).value("_source", json());
    }

    /// This test's own connection (opened on first use).
    pqxx::connection& db() {
        if (!db_) db_.emplace(postgres_url());
        return *db_;
    }

private:
    std::string es_url_;
    std::optional<pqxx::connection> db_;
};

/// The same indexer, once its dependency is there, indexes row 9 (`nine`), becomes ready on
/// status port `port` and exits cleanly.
void expect_recovers(HostilePipeline& p, test::WorkerProcess& indexer, int port) {
    ASSERT_TRUE(test::wait_until([&] { return p.document("9").has_value(); }, kDeadline))
        << indexer.log();
    EXPECT_EQ(p.document("9"), (json{{"id", 9}, {"title", "nine"}}));
    EXPECT_TRUE(test::readyz_answers(port, 200, kDeadline));
    EXPECT_TRUE(test::stop_cleanly({&indexer}, kExitDeadline));
}

TEST(HostileInputE2e, SqlLookingIdsAreBoundParametersIndexedVerbatim) {
    HostilePipeline p("text");
    const std::vector<std::string> ids{
        "1; DROP TABLE " + p.name(),
        "' OR '1'='1",
        "Robert'); DROP TABLE " + p.name() + ";--",
        "\"quoted\" \\ back",
        "$1",
        "caf\xc3\xa9 / ? # %",
    };
    for (const auto& id : ids) p.insert(id, "title of " + id);
    std::vector<std::string> values;
    for (const auto& id : ids) values.push_back(wire::instant_message(id));
    // An id that matches no row is a delete of nothing; the table is untouched.
    const std::string missing = "x'; DELETE FROM " + p.name() + "; --";
    values.push_back(wire::instant_message(missing));
    values.push_back(wire::instant_message("last"));
    p.insert("last", "the last one");
    p.produce(values);

    auto indexer = p.start_indexer();
    ASSERT_TRUE(test::wait_until([&] { return p.document("last").has_value(); }, kDeadline))
        << indexer->log();
    for (const auto& id : ids) {
        EXPECT_EQ(p.document(id), (json{{"id", id}, {"title", "title of " + id}})) << id;
    }
    EXPECT_FALSE(p.document(missing).has_value());
    EXPECT_EQ(p.row_count(), static_cast<std::int64_t>(ids.size() + 1));
    EXPECT_EQ(indexer->count_in_log("dead letter "), 0U) << indexer->log();
    EXPECT_TRUE(test::stop_cleanly({indexer.get()}, kExitDeadline));
}

TEST(HostileInputE2e, HostileMessagesAreDeadLetteredAndLaterMessagesIndexed) {
    HostilePipeline p("bigint");
    p.insert("5", "five");
    const std::string deep = R"({"id": 5, "x": )" + std::string(100'000, '[') +
                             std::string(100'000, ']') + "}";
    struct Poison {
        std::string value;
        std::string reason;
    };
    const std::vector<Poison> poison{
        {"{\"id\": \"\xff\xfe\"}", "UTF-8"},
        {deep, "deep"},
        {R"({"id": 18446744073709551616})", "SQLSTATE 22003"},  // beyond bigint: out of range
        {R"({"id": "1; DROP TABLE x"})", "SQLSTATE 22P02"},      // not a bigint at all
        {R"({"id": 1.5})", "must be an integer or a string"},
        {R"({"id": 1e3})", "must be an integer or a string"},
        {"", "empty message"},
    };
    std::vector<std::string> values;
    for (const auto& m : poison) values.push_back(m.value);
    values.emplace_back(R"({"id": 5})");
    p.produce(values);

    auto indexer = p.start_indexer();
    ASSERT_TRUE(test::wait_until([&] { return p.document("5").has_value(); }, kDeadline))
        << indexer->log();
    EXPECT_EQ(p.document("5"), (json{{"id", 5}, {"title", "five"}}));
    const auto dead = test::read_topic(p.dead_letter_topic(), poison.size(), kDeadline);
    ASSERT_EQ(dead.size(), poison.size()) << indexer->log();
    for (std::size_t i = 0; i < poison.size(); ++i) {
        const auto it = std::find_if(dead.begin(), dead.end(), [&](const test::ReadMessage& m) {
            return m.header("kt.offset") == std::optional<std::string>(std::to_string(i));
        });
        ASSERT_NE(it, dead.end()) << "no dead letter for offset " << i << indexer->log();
        EXPECT_EQ(it->payload, poison[i].value) << i;
        EXPECT_THAT(it->header("kt.error").value_or(""), HasSubstr(poison[i].reason)) << i;
    }
    EXPECT_EQ(p.row_count(), 1);
    EXPECT_TRUE(test::stop_cleanly({indexer.get()}, kExitDeadline));
}

TEST(HostileInputE2e, QueryOnAMissingTableIsReportedAtStartAndRetriedUntilItExists) {
    const std::string missing = test::unique_name("hostile_missing");
    HostilePipeline p("bigint", missing);
    p.drop_at_end(missing);
    auto indexer = p.start_indexer();
    const auto port = test::wait_status_port(*indexer, kDeadline);
    ASSERT_TRUE(port.has_value()) << indexer->log();

    // Before any message arrives: a clear log line naming the table, not ready, still running
    // and trying again.
    ASSERT_TRUE(indexer->wait_for_log("relation \"" + missing + "\" does not exist", kDeadline, 2))
        << indexer->log();
    EXPECT_TRUE(indexer->running()) << indexer->log();
    const auto [status, body] = test::http_get(*port, "/readyz");
    EXPECT_EQ(status, 503) << body;
    EXPECT_THAT(body, HasSubstr(missing));

    // A migration creates the table: the same process goes on and indexes.
    p.exec(fmt::format("CREATE TABLE {} (id bigint PRIMARY KEY, title text)", missing));
    p.exec(fmt::format("INSERT INTO {} VALUES (9, 'nine')", missing));
    p.produce({R"({"id": 9})"});
    expect_recovers(p, *indexer, *port);
}

TEST(HostileInputE2e, ElasticsearchUnreachableAtStartIsRetriedUntilItAnswers) {
    // A port that was just free: a stand-in started and stopped on it.
    int port = 0;
    {
        test::PrivateStandin probe;
        port = probe.port();
        probe.stop();
    }
    const std::string url = fmt::format("http://127.0.0.1:{}", port);
    HostilePipeline p("bigint", {}, url);
    p.insert("9", "nine");
    p.produce({R"({"id": 9})"});
    auto indexer = p.start_indexer();
    const auto status_port = test::wait_status_port(*indexer, kDeadline);
    ASSERT_TRUE(status_port.has_value()) << indexer->log();

    // Nothing answers: logged, not ready, still running and trying again; nothing consumed.
    ASSERT_TRUE(indexer->wait_for_log("cannot make sure its alias exists", kDeadline, 2))
        << indexer->log();
    EXPECT_TRUE(indexer->running()) << indexer->log();
    const auto [status, body] = test::http_get(*status_port, "/readyz");
    EXPECT_EQ(status, 503) << body;
    EXPECT_EQ(indexer->count_in_log("batch of"), 0U) << indexer->log();

    // Elasticsearch comes up: the same process creates the alias and indexes.
    test::PrivateStandin standin({}, port);
    expect_recovers(p, *indexer, *status_port);
}

TEST(HostileInputE2e, AnEmptyTopicIsReadyAndIdle) {
    HostilePipeline p("bigint");
    auto indexer = p.start_indexer();
    const auto port = test::wait_status_port(*indexer, kDeadline);
    ASSERT_TRUE(port.has_value()) << indexer->log();
    ASSERT_TRUE(indexer->wait_for_log("assigned", kDeadline)) << indexer->log();
    EXPECT_TRUE(test::readyz_answers(*port, 200, kDeadline)) << indexer->log();
    EXPECT_EQ(test::http_get(*port, "/healthz").first, 200);
    EXPECT_EQ(indexer->count_in_log("failed"), 0U) << indexer->log();
    EXPECT_EQ(indexer->count_in_log("batch of"), 0U) << indexer->log();
    EXPECT_TRUE(test::stop_cleanly({indexer.get()}, kExitDeadline));
}

TEST(HostileInputE2e, KtCheckNamesATableShorthandWhoseTableDoesNotExist) {
    HostilePipeline p("bigint");
    p.exec("DROP TABLE " + p.name());
    const auto run = test::run_command(kKtBinary + " check --config '" + p.config_path() + "'");
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_THAT(run.output, HasSubstr("postgres: indexes." + p.name() + ":"));
    EXPECT_THAT(run.output, HasSubstr("table '" + p.name() + "' does not exist"));
}

}  // namespace
}  // namespace kt::workers
