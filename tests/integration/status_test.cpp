// The status page end to end: /status.json of a running kt-indexer and kt-delayer, and
// `kt status` (table, --worker, --serve) with both worker kinds running on the dev stack.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "lib/kafka/producer.hpp"
#include "lib/wire/messages.hpp"
#include "tests/support/dev_stack.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/topic_reader.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/test_env.hpp"
#include "tests/support/worker_process.hpp"

namespace kt::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::HasSubstr;

constexpr auto kDeadline = 90s;
const std::string kKtBinary = binary("kt");

/// An index (table, topic, dead-letter topic) and a one-hour delay stage releasing to it, with
/// unique names and one config file; the delay holds its envelopes for the whole test.
class StatusSetup : public Fixture {
public:
    explicit StatusSetup(int partitions = 2, bool table = true) : Fixture("st") {
        create_topic_with_dead_letters(index_topic(), partitions);
        create_topic_with_dead_letters(delay_topic(), partitions);
        if (table) {
            create_tables(
                "CREATE TABLE " + name() + " (id bigint PRIMARY KEY, title text NOT NULL)",
                {name()});
            exec("INSERT INTO " + name() + " SELECT i, 'row ' || i FROM generate_series(1, 20) i");
        }
        write_config(config_text());
    }

    [[nodiscard]] const std::string& index_topic() const { return name(); }
    [[nodiscard]] std::string delay_topic() const { return name() + "_later"; }
    [[nodiscard]] std::string index_group() const { return name() + "_g.indexer." + name(); }
    [[nodiscard]] std::string delay_group() const { return name() + "_g.delayer." + delay_topic(); }

    /// Produces (partition, value) pairs in order, unkeyed.
    static void produce(const std::string& topic,
                        const std::vector<std::pair<std::int32_t, std::string>>& records) {
        kafka::Producer producer(broker_options());
        for (const auto& [partition, value] : records) {
            producer.produce(kafka::Record{topic, std::nullopt, value, {}, partition, 0});
        }
        const auto flushed = producer.flush(30s);
        ASSERT_TRUE(flushed.ok());
        ASSERT_EQ(flushed.delivered, records.size());
    }
    /// `{"id": i}` for each id, to `partition` of the index topic.
    void produce_ids(std::int32_t partition, const std::vector<int>& ids) {
        std::vector<std::pair<std::int32_t, std::string>> records;
        for (const int id : ids) records.emplace_back(partition, fmt::format(R"({{"id":{}}})", id));
        produce(index_topic(), records);
    }
    /// `count` envelopes created now to `partition` of the delay topic.
    void produce_envelopes(std::int32_t partition, int count) {
        std::vector<std::pair<std::int32_t, std::string>> records;
        for (int i = 0; i < count; ++i) {
            records.emplace_back(partition, wire::delay_envelope(fmt::format(R"({{"id":{}}})", i),
                                                                 index_topic(), unix_now()));
        }
        produce(delay_topic(), records);
    }

    /// Sets the index's query (e.g. one that fails) before a worker starts.
    void set_query(const std::string& query) {
        query_ = query;
        write_config(config_text());
    }

private:
    [[nodiscard]] std::string config_text() const {
        const std::string query = query_.empty()
                                      ? fmt::format(
                                            "SELECT id, jsonb_build_object('title', title) AS doc "
                                            "FROM {} WHERE id = ANY($1::bigint[])",
                                            name())
                                      : query_;
        auto config = this->config();
        config.es_timeout = "10s";
        config.sections = fmt::format(R"(indexes:
  {0}:
    query: {1}
    batch_size: 100
    batch_wait: 50ms
delayers:
  {2}: {{ delay: 1h, target: {0} }}
)",
                                      name(), json(query).dump(), delay_topic());
        return config.yaml();
    }

    std::string query_;
};

/// GET /status.json of a worker, parsed; null when it did not answer 200 with JSON.
json status_json(int port) {
    const auto [code, body] = http_get(port, "/status.json");
    if (code != 200) return nullptr;
    try {
        return json::parse(body);
    } catch (const json::exception&) {
        return nullptr;
    }
}

/// The group `group` of a status document, null when absent.
json group_of(const json& doc, const std::string& group) {
    if (!doc.is_object()) return nullptr;
    for (const auto& g : doc.at("groups")) {
        if (g.at("group") == group) return g;
    }
    return nullptr;
}

/// Partition `p` of a status group, null when absent.
json partition_of(const json& group, int p) {
    if (!group.is_object()) return nullptr;
    for (const auto& part : group.at("partitions")) {
        if (part.at("partition") == p) return part;
    }
    return nullptr;
}

bool partition_is(const json& group, int p, std::int64_t committed, std::int64_t end,
                  std::int64_t lag) {
    const json part = partition_of(group, p);
    return part.is_object() && part.at("committed") == committed && part.at("end") == end &&
           part.at("lag") == lag;
}

TEST(StatusLive, IndexerServesItsPartitionsDeadLettersAndThePage) {
    StatusSetup s;
    s.produce_ids(0, {1, 2, 3});
    s.produce_ids(1, {4, 5});
    StatusSetup::produce(s.index_topic(), {{1, "not json"}});
    auto indexer = s.start_worker("kt-indexer", "indexer");
    const auto port = wait_status_port(*indexer, kDeadline);
    ASSERT_TRUE(port) << indexer->log();

    json doc;
    json group;
    ASSERT_TRUE(wait_until(
        [&] {
            doc = status_json(*port);
            group = group_of(doc, s.index_group());
            return partition_is(group, 0, 3, 3, 0) && partition_is(group, 1, 3, 3, 0) &&
                   group.at("dead_letters") == 1;
        },
        kDeadline, 100ms))
        << doc.dump(2) << "\n"
        << indexer->log();
    EXPECT_EQ(doc.at("source"), "kt-indexer");
    EXPECT_NEAR(doc.at("generated_at").get<double>(), unix_now(), 30);
    EXPECT_EQ(group.at("worker"), "indexer");
    EXPECT_EQ(group.at("topic"), s.index_topic());
    EXPECT_EQ(group.at("dead_letter_topic"), s.index_topic() + ".dlq");
    EXPECT_EQ(group.at("lag"), 0);
    // Six messages were committed within the last 10 s.
    EXPECT_GT(group.at("rate").get<double>(), 0) << group.dump();
    EXPECT_EQ(group.at("last_error"), "");
    EXPECT_TRUE(group.at("held").is_null());

    const auto [code, page] = http_get(*port, "/");
    EXPECT_EQ(code, 200);
    EXPECT_THAT(page, HasSubstr("<title>kt status</title>"));
    EXPECT_THAT(page, HasSubstr("status.json"));
}

TEST(StatusLive, ARestartedIndexerOnAnIdleTopicShowsTheGroupsCommitsAndNoLag) {
    StatusSetup s;
    s.produce_ids(0, {1, 2, 3});
    {
        auto indexer = s.start_worker("kt-indexer", "indexer");
        const auto port = wait_status_port(*indexer, kDeadline);
        ASSERT_TRUE(port) << indexer->log();
        ASSERT_TRUE(wait_until(
            [&] { return partition_is(group_of(status_json(*port), s.index_group()), 0, 3, 3, 0); },
            kDeadline, 100ms))
            << indexer->log();
        indexer->terminate();
        ASSERT_EQ(indexer->wait_exit(30s), 0) << indexer->log();
    }
    // Nothing new arrives: the committed offsets come from the group, not from a commit of
    // this process, and the lag is 0 rather than everything the topic ever held.
    auto again = s.start_worker("kt-indexer", "indexer-again");
    const auto port = wait_status_port(*again, kDeadline);
    ASSERT_TRUE(port) << again->log();
    json group;
    ASSERT_TRUE(wait_until(
        [&] {
            group = group_of(status_json(*port), s.index_group());
            return partition_is(group, 0, 3, 3, 0) && partition_is(group, 1, -1, 0, 0);
        },
        kDeadline, 100ms))
        << group.dump(2) << "\n"
        << again->log();
    const auto [code, metrics] = http_get(*port, "/metrics");
    EXPECT_EQ(
        metric_value(metrics, fmt::format("kt_indexer_consumer_lag{{index=\"{}\",partition=\"0\"}}",
                                          s.index_topic())),
        0);
}

TEST(StatusLive, IndexerReportsTheLastErrorOfAFailingBatchAndItsLag) {
    StatusSetup s(2);
    // The table exists when the indexer starts (a query that cannot run at start keeps it from
    // consuming at all) and is dropped once it consumes: its batches then fail.
    const std::string missing = s.index_topic() + "_missing";
    s.exec("CREATE TABLE " + missing + " (id bigint PRIMARY KEY)");
    s.set_query(fmt::format("SELECT id, to_jsonb(t) AS doc FROM {} t WHERE id = ANY($1::bigint[])",
                            missing));
    auto indexer = s.start_worker("kt-indexer", "indexer");
    const auto port = wait_status_port(*indexer, kDeadline);
    ASSERT_TRUE(port) << indexer->log();
    ASSERT_TRUE(indexer->wait_for_log("assigned", kDeadline)) << indexer->log();
    s.exec("DROP TABLE " + missing);
    const double started = unix_now();
    s.produce_ids(0, {1, 2});

    json group;
    ASSERT_TRUE(wait_until(
        [&] {
            group = group_of(status_json(*port), s.index_group());
            return group.is_object() && !group.at("last_error").get<std::string>().empty() &&
                   partition_is(group, 0, -1, 2, 2);
        },
        kDeadline, 100ms))
        << group.dump(2) << "\n"
        << indexer->log();
    EXPECT_THAT(group.at("last_error").get<std::string>(), HasSubstr(missing));
    const double at = group.at("last_error_at").get<double>();
    EXPECT_GE(at, started - 1);
    EXPECT_LE(at, unix_now() + 1);
    EXPECT_EQ(group.at("lag"), 2);
}

TEST(StatusLive, DelayerServesHeldEnvelopesAndTheTimeUntilTheNextRelease) {
    StatusSetup s(2, false);
    s.produce_envelopes(0, 4);
    s.produce_envelopes(1, 2);
    auto delayer = s.start_worker("kt-delayer", "delayer");
    const auto port = wait_status_port(*delayer, kDeadline);
    ASSERT_TRUE(port) << delayer->log();

    json group;
    ASSERT_TRUE(wait_until(
        [&] {
            group = group_of(status_json(*port), s.delay_group());
            return partition_is(group, 0, -1, 4, 4) && partition_is(group, 1, -1, 2, 2) &&
                   group.at("held") == 6 && group.at("next_release_in").is_number();
        },
        kDeadline, 100ms))
        << group.dump(2) << "\n"
        << delayer->log();
    EXPECT_EQ(group.at("worker"), "delayer");
    EXPECT_EQ(group.at("topic"), s.delay_topic());
    EXPECT_EQ(group.at("dead_letters"), 0);
    // Due one hour after they were produced, a moment ago.
    const double next = group.at("next_release_in").get<double>();
    EXPECT_GT(next, 3600 - kDeadline.count() - 60);
    EXPECT_LE(next, 3600);
}

/// The cells of the table row of `kt status` output that starts with `first` (whitespace
/// separated), empty when no line does.
std::vector<std::string> row_of(const std::string& output, const std::string& first) {
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream cells(line);
        std::vector<std::string> row;
        for (std::string cell; cells >> cell;) row.push_back(cell);
        if (!row.empty() && row.front() == first) return row;
    }
    return {};
}

TEST(StatusLive, KtStatusShowsBothWorkerKindsAndMergesTheDelayersNextRelease) {
    StatusSetup s;
    s.produce_ids(0, {1, 2, 3});
    s.produce_ids(1, {4});
    StatusSetup::produce(s.index_topic(), {{1, "not json"}});
    s.produce_envelopes(0, 3);
    s.produce_envelopes(1, 1);
    auto indexer = s.start_worker("kt-indexer", "indexer");
    auto delayer = s.start_worker("kt-delayer", "delayer");
    const auto indexer_port = wait_status_port(*indexer, kDeadline);
    const auto delayer_port = wait_status_port(*delayer, kDeadline);
    ASSERT_TRUE(indexer_port && delayer_port) << indexer->log() << delayer->log();
    ASSERT_TRUE(wait_until(
        [&] {
            const json ix = group_of(status_json(*indexer_port), s.index_group());
            const json dl = group_of(status_json(*delayer_port), s.delay_group());
            return partition_is(ix, 0, 3, 3, 0) && partition_is(ix, 1, 2, 2, 0) && dl.is_object() &&
                   dl.at("held") == 4 && dl.at("next_release_in").is_number();
        },
        kDeadline, 100ms))
        << indexer->log() << delayer->log();

    const auto run = run_command(
        fmt::format("{} status --config '{}' --interval 200ms --worker http://127.0.0.1:{}",
                    kKtBinary, s.config_path(), *delayer_port));
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_THAT(run.output, HasSubstr("GROUP"));
    EXPECT_THAT(row_of(run.output, s.index_group()),
                ::testing::ElementsAre(s.index_group(), s.index_topic(), "0", "3", "3", "0",
                                       ::testing::_, "1"))
        << run.output;
    EXPECT_THAT(row_of(run.output, "1"), ::testing::ElementsAre("1", "2", "2", "0", ::testing::_))
        << run.output;
    // The delayer committed nothing (the envelopes are not due): the lag is everything held.
    EXPECT_THAT(
        row_of(run.output, s.delay_group()),
        ::testing::ElementsAre(s.delay_group(), s.delay_topic(), "0", "-", "3", "3", "0.0", "0"))
        << run.output;
    EXPECT_THAT(run.output,
                HasSubstr("delayer " + s.delay_topic() + ": 4 envelope(s) held, next release in "))
        << run.output;
    EXPECT_THAT(run.output, HasSubstr(" min\n")) << run.output;
}

TEST(StatusLive, KtStatusFailsNamingAWorkerThatDoesNotAnswer) {
    StatusSetup s(1, false);
    const auto run = run_command(
        fmt::format("{} status --config '{}' --interval 100ms --worker http://127.0.0.1:1",
                    kKtBinary, s.config_path()));
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_THAT(run.output, HasSubstr("worker http://127.0.0.1:1/status.json"));
    // The table is still printed from Kafka.
    EXPECT_THAT(run.output, HasSubstr(s.index_group()));
}

TEST(StatusLive, KtStatusRejectsABadInterval) {
    StatusSetup s(1, false);
    const auto run = run_command(
        fmt::format("{} status --config '{}' --interval soon", kKtBinary, s.config_path()));
    EXPECT_EQ(run.exit_code, 2) << run.output;
    EXPECT_THAT(run.output, HasSubstr("--interval: bad duration 'soon'"));
}

TEST(StatusLive, KtStatusServeServesTheSameReportAsAPage) {
    StatusSetup s(2, false);
    s.produce_envelopes(1, 2);
    WorkerProcess serve(WorkerProcessOptions{
        kKtBinary,
        {"status", "--config", s.config_path(), "--serve", "0", "--interval", "500ms"},
        {},
        {}});
    ASSERT_TRUE(serve.wait_for_log("status page on port ", kDeadline)) << serve.log();
    const std::string log = serve.log();
    const auto at = log.find("status page on port ") + std::string("status page on port ").size();
    const int port = std::stoi(log.substr(at));

    json doc;
    ASSERT_TRUE(wait_until(
        [&] {
            doc = status_json(port);
            return partition_is(group_of(doc, s.delay_group()), 1, -1, 2, 2);
        },
        kDeadline, 100ms))
        << doc.dump(2) << serve.log();
    EXPECT_EQ(doc.at("source"), "kt status");
    const json dl = group_of(doc, s.delay_group());
    EXPECT_EQ(dl.at("held"), 2);
    const json ix = group_of(doc, s.index_group());
    ASSERT_TRUE(ix.is_object()) << doc.dump(2);
    EXPECT_EQ(ix.at("dead_letters"), 0);
    const auto [code, page] = http_get(port, "/");
    EXPECT_EQ(code, 200);
    EXPECT_THAT(page, HasSubstr("<title>kt status</title>"));

    serve.terminate();
    EXPECT_EQ(serve.wait_exit(15s), 0) << serve.log();
}

}  // namespace
}  // namespace kt::test
