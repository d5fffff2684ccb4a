// kt-indexer end to end: the real executable against PostgreSQL, kt-devbroker and the
// Elasticsearch stand-in (a private one where faults are injected).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <atomic>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "lib/kafka/consumer.hpp"
#include "lib/kafka/producer.hpp"
#include "tests/support/dev_stack.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/test_env.hpp"
#include "tests/support/worker_process.hpp"

namespace kt::workers {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using test::PrivateStandin;
using test::WorkerProcess;

constexpr auto kDeadline = 60s;
constexpr auto kExitDeadline = 10s;
/// kt writes a snapshot's transaction count n as the external version n × 2^16.
constexpr std::int64_t kVersionScale = 65536;

/// The document the index's query makes of a row.
json row_doc(const std::string& title, std::int64_t n) {
    return json{{"title", title}, {"n", n}};
}

/// One index under test: its table, topic (with dead-letter topic), alias and config file, all
/// with unique names; the table and the config folder go away with it.
class Pipeline : public test::Fixture {
public:
    explicit Pipeline(std::string es_url = test::es_url(), int partitions = 4,
                      int batch_size = 1000)
        : Fixture("ixe2e"), es_url_(std::move(es_url)), batch_size_(batch_size) {
        create_tables("CREATE TABLE " + name() +
                          " (id bigint PRIMARY KEY, title text NOT NULL, n bigint)",
                      {name()});
        // Apache Kafka refuses a record batch over 1 MiB by default; the poison tests send one.
        create_topic(name(), partitions, {{"max.message.bytes", "4000000"}});
        create_topic(dead_letter_topic(), 1);
        write_config(fmt_config());
    }

    [[nodiscard]] const std::string& topic() const { return name(); }
    [[nodiscard]] const std::string& alias() const { return name(); }
    [[nodiscard]] std::string dead_letter_topic() const { return name() + ".dlq"; }
    /// Sets the index's batch_wait in the config file (for indexers started afterwards).
    void set_batch_wait(const std::string& wait) {
        batch_wait_ = wait;
        write_config(fmt_config());
    }
    /// Adds a librdkafka property to the config file (for indexers started afterwards).
    void set_kafka_property(const std::string& key, const std::string& value) {
        extra_properties_[key] = value;
        write_config(fmt_config());
    }

    /// Inserts or updates rows `from..to` with title `<prefix>-<id>` and n = id * factor.
    void upsert_range(std::int64_t from, std::int64_t to, const std::string& prefix,
                      std::int64_t factor) {
        exec(
            fmt("INSERT INTO {} (id, title, n) SELECT i, '{}-' || i, i * {} "
                "FROM generate_series({}, {}) AS i "
                "ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, n = EXCLUDED.n",
                name(), prefix, factor, from, to));
        for (auto i = from; i <= to; ++i) {
            expected_[std::to_string(i)] = row_doc(prefix + "-" + std::to_string(i), i * factor);
        }
    }
    /// Updates one row's title and n.
    void update_row(std::int64_t id, const std::string& title, std::int64_t n) {
        pqxx::nontransaction tx(db());
        tx.exec_params("UPDATE " + name() + " SET title = $2, n = $3 WHERE id = $1", id, title, n);
        tx.commit();
        expected_[std::to_string(id)] = row_doc(title, n);
    }
    void delete_row(std::int64_t id) {
        exec(fmt("DELETE FROM {} WHERE id = {}", name(), id));
        expected_.erase(std::to_string(id));
    }

    /// Produces `{"id": i}` for `from..to`, keyed by the id unless `keyed` is false.
    void produce_range(std::int64_t from, std::int64_t to, bool keyed = true) {
        kafka::Producer producer(test::broker_options());
        for (auto i = from; i <= to; ++i) {
            const std::string key = std::to_string(i);
            const std::string value = R"({"id":)" + key + "}";
            producer.produce(topic(), keyed ? std::optional<std::string_view>(key) : std::nullopt,
                             value);
        }
        const auto flushed = producer.flush(30s);
        ASSERT_TRUE(flushed.ok());
        ASSERT_EQ(flushed.delivered, static_cast<std::uint64_t>(to - from + 1));
    }
    /// Produces raw values, in order, to one partition.
    void produce_raw(const std::vector<std::string>& values, std::int32_t partition) {
        kafka::Options options = test::broker_options();
        options.properties["message.max.bytes"] = "4000000";
        kafka::Producer producer(options);
        for (const auto& v : values) {
            producer.produce(kafka::Record{topic(), std::nullopt, v, {}, partition, 0});
        }
        const auto flushed = producer.flush(30s);
        ASSERT_TRUE(flushed.ok());
        ASSERT_EQ(flushed.delivered, values.size());
    }

    std::unique_ptr<WorkerProcess> start_indexer(const std::string& log_name = "indexer") {
        return start_worker("kt-indexer", log_name);
    }

    /// PostgreSQL's transaction count as kt reads it for a snapshot taken now.
    std::int64_t transaction_count() {
        pqxx::nontransaction tx(db());
        return tx
            .exec1("SELECT pg_snapshot_xmax(s)::text::bigint - (SELECT count(*) FROM "
                   "pg_snapshot_xip(s)) FROM pg_current_snapshot() s")[0]
            .as<std::int64_t>();
    }
    /// Indexes `source` as document `id` into the alias as another writer would: a plain index
    /// request, or with `version_params` (e.g. `version=7&version_type=external`). Returns the
    /// HTTP status.
    int put_document(const std::string& id, const json& source,
                     const std::string& version_params = "") {
        httplib::Client client(es_url_);
        const std::string params = version_params.empty() ? "" : "&" + version_params;
        const auto res = client.Put("/" + alias() + "/_doc/" + id + "?refresh=true" + params,
                                    source.dump(), "application/json");
        return res ? res->status : 0;
    }
    /// A request straight to the search server (as an operator would send it): the status and
    /// the body (status 0 when unreachable).
    std::pair<int, std::string> search_request(const std::string& method, const std::string& path,
                                               const json& body = nullptr) {
        httplib::Client client(es_url_);
        client.set_read_timeout(30, 0);
        const std::string text = body.is_null() ? "" : body.dump();
        httplib::Result res =
            method == "PUT"      ? client.Put(path, text, "application/json")
            : method == "POST"   ? client.Post(path, text, "application/json")
            : method == "DELETE" ? client.Delete(path)
                                 : client.Get(path);
        if (!res) return {0, httplib::to_string(res.error())};
        return {res->status, res->body};
    }
    /// The physical indices behind the alias.
    std::vector<std::string> physical_indices() {
        const auto [status, body] = search_request("GET", "/_alias/" + alias());
        std::vector<std::string> out;
        if (status != 200) return out;
        const json parsed = json::parse(body);
        for (auto it = parsed.begin(); it != parsed.end(); ++it) out.push_back(it.key());
        return out;
    }

    /// `_version` of document `id` in the alias, nullopt when absent.
    std::optional<std::int64_t> version(const std::string& id) {
        httplib::Client client(es_url_);
        const auto res = client.Get("/" + alias() + "/_doc/" + id);
        if (!res || res->status != 200) return std::nullopt;
        return json::parse(res->body).at("_version").get<std::int64_t>();
    }

    /// `_source` of document `id` in the alias, nullopt when absent.
    std::optional<json> document(const std::string& id) {
        httplib::Client client(es_url_);
        const auto res = client.Get("/" + alias() + "/_doc/" + id);
        if (!res || res->status == 404) return std::nullopt;
        if (res->status != 200) return json{{"unexpected_status", res->status}};
        return json::parse(res->body).value("_source", json());
    }

    /// Ids (of `ids`) whose document differs from the expected one: missing, stale or extra
    /// (present while the row is gone); empty when the index equals the table.
    std::vector<std::string> mismatches(const std::vector<std::string>& ids) {
        std::vector<std::string> bad;
        httplib::Client client(es_url_);
        client.set_read_timeout(30, 0);
        for (std::size_t at = 0; at < ids.size(); at += 1000) {
            const std::vector<std::string> chunk(
                ids.begin() + static_cast<std::ptrdiff_t>(at),
                ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), at + 1000)));
            const auto res = client.Post("/" + alias() + "/_mget", json{{"ids", chunk}}.dump(),
                                         "application/json");
            if (!res) return {"<_mget failed: " + httplib::to_string(res.error()) + ">"};
            if (res->status != 200) {
                return {fmt::format("<_mget answered {}: {}>", res->status, res->body)};
            }
            const json docs = json::parse(res->body).at("docs");
            for (const auto& d : docs) {
                const std::string id = d.at("_id");
                const auto want = expected_.find(id);
                const bool found = d.value("found", false);
                if (want == expected_.end()) {
                    if (found) bad.push_back(id);
                } else if (!found || d.at("_source") != want->second) {
                    bad.push_back(id);
                }
            }
        }
        return bad;
    }
    /// Ids of `from..to` as text.
    static std::vector<std::string> ids(std::int64_t from, std::int64_t to) {
        std::vector<std::string> out;
        for (auto i = from; i <= to; ++i) out.push_back(std::to_string(i));
        return out;
    }
    /// Waits until every id of `ids` is as expected; on timeout reports a few mismatches.
    ::testing::AssertionResult converges(const std::vector<std::string>& ids,
                                         std::chrono::milliseconds timeout = kDeadline) {
        std::vector<std::string> bad;
        const bool ok = test::wait_until(
            [&] {
                bad = mismatches(ids);
                return bad.empty();
            },
            timeout, 250ms);
        if (ok) return ::testing::AssertionSuccess();
        auto failure = ::testing::AssertionFailure();
        failure << bad.size() << " of " << ids.size() << " documents differ, e.g.";
        for (std::size_t i = 0; i < bad.size() && i < 5; ++i) {
            const auto doc = document(bad[i]);
            failure << " [" << bad[i] << ": " << (doc ? doc->dump() : "absent") << "]";
        }
        return failure;
    }

    /// This test's own connection (opened on first use).
    pqxx::connection& db() {
        if (!db_) db_.emplace(postgres_url());
        return *db_;
    }

private:
    template <typename... Args>
    static std::string fmt(fmt::format_string<Args...> f, Args&&... args) {
        return fmt::format(f, std::forward<Args>(args)...);
    }

    [[nodiscard]] std::string fmt_config() const {
        auto config = this->config();
        config.properties = test::quick_group_properties(extra_properties_);
        config.es_url = es_url_;
        config.es_timeout = "10s";
        config.sections = fmt(R"(indexes:
  {0}:
    topic: {0}
    query: |
      SELECT id, jsonb_build_object('title', title, 'n', n) AS doc
      FROM {0} WHERE id = ANY($1::bigint[])
    scan_query: SELECT id, jsonb_build_object('title', title, 'n', n) AS doc FROM {0}
    batch_size: {1}
    batch_wait: {2}
)",
                              name(), batch_size_, batch_wait_);
        return config.yaml();
    }

    std::string es_url_;
    int batch_size_;
    std::string batch_wait_ = "100ms";
    std::map<std::string, std::string> extra_properties_;
    std::map<std::string, json> expected_;
    std::optional<pqxx::connection> db_;
};

TEST(IndexerE2e, InsertsUpdatesAndDeletesReachTheIndex) {
    Pipeline p;
    auto indexer = p.start_indexer();
    p.upsert_range(1, 50, "first", 1);
    p.produce_range(1, 50);
    ASSERT_TRUE(p.converges(Pipeline::ids(1, 50))) << indexer->log();
    EXPECT_EQ(p.document("7"), row_doc("first-7", 7));
    // A batch is committed (and logged) once the next one was polled: shortly after its writes.
    EXPECT_TRUE(indexer->wait_for_log("batch of", kDeadline)) << indexer->log();

    p.update_row(7, "changed", 700);
    p.upsert_range(8, 8, "second", 2);
    p.produce_range(7, 8);
    ASSERT_TRUE(
        test::wait_until([&] { return p.document("7") == row_doc("changed", 700); }, kDeadline))
        << indexer->log();
    EXPECT_TRUE(
        test::wait_until([&] { return p.document("8") == row_doc("second-8", 16); }, kDeadline));

    p.delete_row(9);
    p.produce_range(9, 9);
    ASSERT_TRUE(test::wait_until([&] { return !p.document("9").has_value(); }, kDeadline))
        << indexer->log();
    // Only the deleted row's document went.
    EXPECT_EQ(p.document("10"), row_doc("first-10", 10));

    // An id with no row at all is a delete of nothing, and the partition moves on.
    p.produce_range(5000, 5000);
    p.upsert_range(11, 11, "third", 3);
    p.produce_range(11, 11);
    ASSERT_TRUE(
        test::wait_until([&] { return p.document("11") == row_doc("third-11", 33); }, kDeadline));
    EXPECT_FALSE(p.document("5000").has_value());
    EXPECT_EQ(p.mismatches(Pipeline::ids(1, 50)), std::vector<std::string>{});

    EXPECT_TRUE(test::stop_cleanly({indexer.get()}, kExitDeadline));
}

TEST(IndexerE2e, WhatArrivedDuringAWriteIsWrittenWhenItEndsNotAfterBatchWait) {
    // 1,500 ids: a full batch of 1,000 is written first; the other 500 arrive meanwhile and are
    // written as soon as that write ends, not once batch_wait (a minute here) has passed.
    Pipeline p;
    p.set_batch_wait("60s");
    p.upsert_range(1, 1500, "row", 1);
    p.produce_range(1, 1500);
    auto indexer = p.start_indexer();
    ASSERT_TRUE(p.converges(Pipeline::ids(1, 1500), 30s)) << indexer->log();
    EXPECT_TRUE(test::stop_cleanly({indexer.get()}, kExitDeadline));
}

TEST(IndexerE2e, UnkeyedMessagesAreIndexed) {
    Pipeline p;
    p.upsert_range(1, 40, "unkeyed", 5);
    p.produce_range(1, 40, /*keyed=*/false);
    auto indexer = p.start_indexer();
    ASSERT_TRUE(p.converges(Pipeline::ids(1, 40))) << indexer->log();
    EXPECT_EQ(p.document("40"), row_doc("unkeyed-40", 200));
}

/// Produces each poison kind, then a valid message, all to partition 0; expects every poison
/// message in the dead-letter topic with its reason and the valid one indexed.
void expect_poison_dead_lettered(bool with_oversized) {
    Pipeline p;
    p.upsert_range(77, 77, "valid", 1);
    const std::string oversized =
        R"({"id": 78, "pad": ")" + std::string(std::size_t{1} << 20, 'x') + "\"}";
    std::vector<std::string> poison{
        "this is not json",       R"([{"id": 1}])",   R"({"name": "no id here"})",
        "{\"id\": \"\xff\xfe\"}", R"({"id": "abc"})",
    };
    if (with_oversized) poison.push_back(oversized);
    std::vector<std::string> values = poison;
    values.emplace_back(R"({"id": 77})");
    p.produce_raw(values, 0);

    auto indexer = p.start_indexer();
    ASSERT_TRUE(
        test::wait_until([&] { return p.document("77") == row_doc("valid-77", 77); }, kDeadline))
        << indexer->log();
    // The batch's documents are written before its dead letters are sent and logged (the 1 MiB
    // one takes a while), so the log is complete only once every dead letter is in it.
    ASSERT_TRUE(test::wait_until(
        [&] { return indexer->count_in_log("dead letter ") >= poison.size(); }, kDeadline))
        << indexer->log();

    // Each poison message is dead-lettered from its own offset, with its reason.
    for (std::size_t i = 0; i < poison.size(); ++i) {
        EXPECT_EQ(indexer->count_in_log(p.topic() + ":0@" + std::to_string(i) + " to " +
                                        p.dead_letter_topic() + ": "),
                  1U)
            << indexer->log();
    }
    EXPECT_EQ(indexer->count_in_log("dead letter "), poison.size()) << indexer->log();
    EXPECT_THAT(indexer->log(), ::testing::HasSubstr("SQLSTATE 22P02"));
    const auto dead = test::read_topic(p.dead_letter_topic(), poison.size(), kDeadline);
    ASSERT_EQ(dead.size(), poison.size()) << indexer->log();
    std::multiset<std::string> payloads;
    for (const auto& m : dead) {
        payloads.emplace(m.payload);
        const auto reason = m.header("kt.error");
        ASSERT_TRUE(reason.has_value()) << m.payload.substr(0, 100);
        EXPECT_FALSE(reason->empty());
        EXPECT_EQ(m.header("kt.topic"), std::optional<std::string>(p.topic()));
        EXPECT_EQ(m.header("kt.partition"), std::optional<std::string>("0"));
        if (m.payload == R"({"id": "abc"})") {
            EXPECT_THAT(std::string(*reason), ::testing::HasSubstr("rejected")) << *reason;
        }
        if (const auto original = m.header("kt.original_bytes")) {
            // Only the oversized message is cut, to its first 512 KiB.
            EXPECT_EQ(*original, std::to_string(oversized.size()));
            EXPECT_EQ(m.payload.size(), std::size_t{512} * 1024);
            EXPECT_THAT(*reason, ::testing::HasSubstr("oversized")) << *reason;
        }
    }
    std::multiset<std::string> expected;
    for (const auto& v : poison) expected.insert(v == oversized ? v.substr(0, 512 * 1024) : v);
    EXPECT_EQ(payloads, expected);
    // The valid message is indexed, never dead-lettered, and nothing else is in the index.
    EXPECT_FALSE(p.document("78").has_value());
    EXPECT_FALSE(p.document("1").has_value());
    EXPECT_TRUE(test::stop_cleanly({indexer.get()}, kExitDeadline));
}

TEST(IndexerE2e, PoisonMessagesAreDeadLetteredWithTheirErrorAndThePartitionMovesOn) {
    expect_poison_dead_lettered(false);
}

// Real Kafka refuses messages over about 1 MB by default: an oversized poison message is
// dead-lettered cut to its first 512 KiB, with its size in `kt.original_bytes`.
TEST(IndexerE2e, OversizedMessageIsDeadLetteredTruncated) {
    expect_poison_dead_lettered(true);
}

TEST(IndexerE2e, InjectedRejectionsLoseNothing) {
    PrivateStandin standin;
    Pipeline p(standin.url(), 4, 200);
    constexpr std::int64_t kMaxIds = 2000;
    p.upsert_range(1, kMaxIds, "faulty", 3);
    auto indexer = p.start_indexer();
    ASSERT_TRUE(indexer->wait_for_log("assigned", kDeadline)) << indexer->log();
    standin.set_faults({{"bulk_reject_fraction", 0.5}, {"item_reject_fraction", 0.3}});
    std::int64_t produced = 200;
    p.produce_range(1, produced);

    // Faults stay on until both kinds of 429 were answered and some documents were written
    // around them; then they stop. The faults are random: when everything sent so far got
    // through before that, more ids are sent.
    json stats;
    ASSERT_TRUE(test::wait_until(
        [&] {
            stats = standin.stats();
            const auto unwritten = p.mismatches(Pipeline::ids(1, produced)).size();
            if (stats.value("bulk_requests_rejected", 0) >= 2 &&
                stats["bulk_items"].value("rejected", 0) >= 10 &&
                unwritten < static_cast<std::size_t>(produced)) {
                return true;
            }
            if (unwritten == 0 && produced < kMaxIds) {
                p.produce_range(produced + 1, produced + 100);
                produced += 100;
            }
            return false;
        },
        kDeadline, 20ms))
        << stats.dump() << indexer->log();
    standin.clear_faults();
    ASSERT_TRUE(p.converges(Pipeline::ids(1, produced))) << indexer->log();
    EXPECT_THAT(indexer->log(), ::testing::HasSubstr("retrying"));

    // The retries are visible to operators.
    const auto port = test::wait_status_port(*indexer, kDeadline);
    ASSERT_TRUE(port.has_value()) << indexer->log();
    const auto [status, metrics] = test::http_get(*port, "/metrics");
    ASSERT_EQ(status, 200);
    const std::string labels = "{index=\"" + p.alias() + "\",outcome=";
    EXPECT_GE(
        test::metric_value(metrics, "kt_indexer_bulk_requests_total" + labels + "\"throttled\"}"),
        1.0)
        << metrics;
    EXPECT_GE(
        test::metric_value(metrics, "kt_indexer_bulk_requests_total" + labels + "\"partial\"}"),
        1.0)
        << metrics;
    EXPECT_GE(
        test::metric_value(metrics, "kt_indexer_bulk_retries_total{index=\"" + p.alias() + "\"}"),
        2.0)
        << metrics;
    EXPECT_TRUE(test::stop_cleanly({indexer.get()}, kExitDeadline));
}

TEST(IndexerE2e, ReadyzFollowsElasticsearchReachability) {
    PrivateStandin standin;
    Pipeline p(standin.url());
    auto indexer = p.start_indexer();
    const auto port = test::wait_status_port(*indexer, kDeadline);
    ASSERT_TRUE(port.has_value()) << indexer->log();
    ASSERT_TRUE(test::readyz_answers(*port, 200, kDeadline));

    // No batch is in flight: only the dependency probe can notice.
    standin.set_faults({{"unavailable", true}});
    std::pair<int, std::string> answer;
    ASSERT_TRUE(test::readyz_answers(*port, 503, kDeadline, &answer));
    EXPECT_THAT(answer.second, ::testing::HasSubstr("elasticsearch"));
    EXPECT_EQ(test::http_get(*port, "/healthz").first, 200) << "liveness is not readiness";

    standin.clear_faults();
    EXPECT_TRUE(test::readyz_answers(*port, 200, kDeadline));
    EXPECT_TRUE(test::stop_cleanly({indexer.get()}, kExitDeadline));
}

TEST(IndexerE2e, AnOutageLongerThanMaxPollIntervalEndsInConvergence) {
    PrivateStandin standin;
    Pipeline p(standin.url());
    // The batch in hand is retried without polling for longer than the group allows, so the
    // member is dropped from the group; the indexer must rejoin and finish, not retry forever.
    p.set_kafka_property("max.poll.interval.ms", "7000");
    p.upsert_range(1, 50, "outage", 2);
    auto indexer = p.start_indexer();
    ASSERT_TRUE(indexer->wait_for_log("assigned", kDeadline)) << indexer->log();
    standin.set_faults({{"unavailable", true}});
    p.produce_range(1, 50);
    ASSERT_TRUE(indexer->wait_for_log("retrying", kDeadline)) << indexer->log();
    ASSERT_TRUE(indexer->wait_for_log("max.poll.interval", 30s) ||
                indexer->wait_for_log("MAX_POLL_EXCEEDED", 1s))
        << "the group never dropped the member; the test proves nothing\n"
        << indexer->log();
    standin.clear_faults();
    ASSERT_TRUE(p.converges(Pipeline::ids(1, 50))) << indexer->log();
    // Progress is committed again: a later id is indexed too.
    p.upsert_range(51, 51, "after", 2);
    p.produce_range(51, 51);
    EXPECT_TRUE(p.converges(Pipeline::ids(1, 51))) << indexer->log();
    EXPECT_TRUE(test::stop_cleanly({indexer.get()}, kExitDeadline));
}

TEST(IndexerE2e, SigkillMidStreamThenRestartLosesNothing) {
    Pipeline p;
    constexpr std::int64_t kIds = 20000;
    p.upsert_range(1, kIds, "before", 1);
    p.produce_range(1, kIds);
    auto first = p.start_indexer("first");
    ASSERT_TRUE(first->wait_for_log("batch of", kDeadline)) << first->log();
    first->kill();
    ASSERT_EQ(first->wait_exit(kExitDeadline), 128 + SIGKILL);
    EXPECT_FALSE(p.mismatches(Pipeline::ids(1, kIds)).empty())
        << "the indexer finished before it was killed; the test proves nothing";

    // Rows change while no indexer runs; their ids are produced again.
    p.upsert_range(1, 100, "after", 2);
    p.produce_range(1, 100);
    auto second = p.start_indexer("second");
    ASSERT_TRUE(p.converges(Pipeline::ids(1, kIds), 90s)) << second->log();
    EXPECT_TRUE(test::stop_cleanly({second.get()}, kExitDeadline));
}

TEST(IndexerE2e, TwoIndexersShareThePartitionsAndConverge) {
    Pipeline p(test::es_url(), 4, 100);
    auto first = p.start_indexer("first");
    ASSERT_TRUE(first->wait_for_log("assigned 4 partition(s)", kDeadline)) << first->log();
    auto second = p.start_indexer("second");
    ASSERT_TRUE(second->wait_for_log("assigned 2 partition(s)", kDeadline)) << second->log();
    ASSERT_TRUE(first->wait_for_log("assigned 2 partition(s)", kDeadline)) << first->log();

    constexpr std::int64_t kIds = 2000;
    p.upsert_range(1, kIds, "shared", 7);
    p.produce_range(1, kIds);
    ASSERT_TRUE(p.converges(Pipeline::ids(1, kIds))) << "first:\n"
                                                     << first->log() << "\nsecond:\n"
                                                     << second->log();
    EXPECT_TRUE(first->wait_for_log("batch of", kDeadline)) << first->log();
    EXPECT_TRUE(second->wait_for_log("batch of", kDeadline)) << second->log();

    EXPECT_TRUE(test::stop_cleanly({second.get(), first.get()}, kExitDeadline));
}

TEST(IndexerE2e, SigtermExitsZeroWithinTenSecondsEvenWhileRetrying) {
    PrivateStandin standin;
    Pipeline p(standin.url());
    p.upsert_range(1, 100, "durable", 4);
    auto first = p.start_indexer("first");
    ASSERT_TRUE(first->wait_for_log("assigned", kDeadline)) << first->log();

    // Elasticsearch answers 503 to everything: the indexer is stuck retrying its batch.
    standin.set_faults({{"unavailable", true}});
    p.produce_range(1, 100);
    ASSERT_TRUE(first->wait_for_log("retrying", kDeadline)) << first->log();
    const auto asked = std::chrono::steady_clock::now();
    EXPECT_TRUE(test::stop_cleanly({first.get()}, kExitDeadline));
    EXPECT_LT(std::chrono::steady_clock::now() - asked, kExitDeadline);

    // Nothing was committed while Elasticsearch was down: a new indexer writes it all.
    standin.clear_faults();
    EXPECT_FALSE(p.document("1").has_value());
    auto second = p.start_indexer("second");
    ASSERT_TRUE(p.converges(Pipeline::ids(1, 100))) << second->log();
    const auto asked_again = std::chrono::steady_clock::now();
    EXPECT_TRUE(test::stop_cleanly({second.get()}, kExitDeadline));
    EXPECT_LT(std::chrono::steady_clock::now() - asked_again, kExitDeadline);
    EXPECT_THAT(second->log(), ::testing::HasSubstr("stopping"));
}

// Foreign writers: documents another writer changed after kt (a plain index request adds one
// to kt's version) are found by `kt verify`, repaired by `--fix`, and repaired by kt-indexer
// when it meets them; kt's own writers still never put an older row state over a newer one.

TEST(IndexerE2e, VerifyFixRepairsDocumentsAnotherWriterOverwroteOnAQuietDatabase) {
    Pipeline p;
    constexpr std::int64_t kIds = 5000;
    p.upsert_range(1, kIds, "product", 3);
    p.produce_range(1, kIds);
    auto indexer = p.start_indexer();
    ASSERT_TRUE(p.converges(Pipeline::ids(1, kIds), 90s)) << indexer->log();
    indexer->terminate();
    ASSERT_EQ(indexer->wait_exit(kExitDeadline), 0) << indexer->log();

    // Eleven documents overwritten by plain index requests (no version), as a script, an old
    // worker or a hand fix would; nothing changes in PostgreSQL from here on.
    const std::vector<std::int64_t> touched{1, 2, 3, 500, 999, 1000, 2500, 3333, 4000, 4999, 5000};
    for (const std::int64_t id : touched) {
        const auto before = p.version(std::to_string(id));
        ASSERT_TRUE(before.has_value());
        EXPECT_EQ(*before % kVersionScale, 0) << "kt's version of " << id << ": " << *before;
        ASSERT_EQ(p.put_document(std::to_string(id), json{{"title", "hand edit"}, {"n", -1}}), 200);
        EXPECT_EQ(p.version(std::to_string(id)), *before + 1);
    }

    auto run = p.kt("verify " + p.alias());
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_THAT(run.output, ::testing::HasSubstr("stale: 11 (e.g. 1 2 3 500 999 …)"));
    EXPECT_THAT(run.output, ::testing::HasSubstr("written outside kt: 11 (e.g. 1 at version"));
    EXPECT_THAT(run.output, ::testing::Not(::testing::HasSubstr("ahead of PostgreSQL")));

    run = p.kt("verify " + p.alias() + " --fix");
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_THAT(run.output, ::testing::HasSubstr("fixed: 11 document(s) indexed, 0 deleted"));
    EXPECT_THAT(run.output, ::testing::HasSubstr("the index now equals the table"));
    EXPECT_TRUE(p.mismatches(Pipeline::ids(1, kIds)).empty());

    run = p.kt("verify " + p.alias());
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_THAT(run.output, ::testing::HasSubstr("stale: 0\nwritten outside kt: 0\n"));
}

TEST(IndexerE2e, ForeignWriterAndRacingIndexersEndWithEveryDocumentEqualToItsRow) {
    Pipeline p(test::es_url(), 4, 50);
    constexpr std::int64_t kIds = 300;
    p.upsert_range(1, kIds, "v0", 1);
    auto first = p.start_indexer("first");
    ASSERT_TRUE(first->wait_for_log("assigned 4 partition(s)", kDeadline)) << first->log();
    auto second = p.start_indexer("second");
    ASSERT_TRUE(second->wait_for_log("assigned 2 partition(s)", kDeadline)) << second->log();
    ASSERT_TRUE(first->wait_for_log("assigned 2 partition(s)", kDeadline)) << first->log();

    // Another writer overwrites the same ids with plain index requests the whole time.
    std::atomic<bool> writing{true};
    std::atomic<int> foreign_writes{0};
    std::thread foreign([&] {
        std::mt19937 random(7);
        std::uniform_int_distribution<std::int64_t> pick(1, kIds);
        while (writing) {
            const std::string id = std::to_string(pick(random));
            if (p.put_document(id, json{{"title", "foreign"}, {"n", -1}}) / 100 == 2) {
                ++foreign_writes;
            }
        }
    });
    // Rows change round after round; every id goes out unkeyed, so its messages land on any
    // partition and both indexers load and write the same rows at the same time.
    for (int round = 1; round <= 6; ++round) {
        p.upsert_range(1, kIds, "v" + std::to_string(round), round + 1);
        p.produce_range(1, kIds, /*keyed=*/false);
        p.produce_range(1, kIds, /*keyed=*/false);
    }
    ASSERT_TRUE(test::wait_until([&] { return foreign_writes >= 200; }, kDeadline, 50ms));
    writing = false;
    foreign.join();

    // The other writer is gone: its last writes are undone once the ids come again, and no
    // document holds an older row state than its row's last one.
    p.produce_range(1, kIds, /*keyed=*/false);
    ASSERT_TRUE(p.converges(Pipeline::ids(1, kIds), 90s)) << "first:\n"
                                                          << first->log() << "\nsecond:\n"
                                                          << second->log();
    const auto run = p.kt("verify " + p.alias());
    EXPECT_EQ(run.exit_code, 0) << run.output;
    for (const std::string& id : Pipeline::ids(1, kIds)) {
        const auto version = p.version(id);
        ASSERT_TRUE(version.has_value()) << id;
        EXPECT_EQ(*version % kVersionScale, 0) << "document " << id << " is not kt's";
    }

    EXPECT_TRUE(test::stop_cleanly({first.get(), second.get()}, kExitDeadline));
}

TEST(IndexerE2e, AForeignExternalVersionAheadOfPostgresIsCountedLoggedAndReported) {
    Pipeline p;
    p.upsert_range(1, 20, "row", 1);
    auto indexer = p.start_indexer();
    const auto port = test::wait_status_port(*indexer, kDeadline);
    ASSERT_TRUE(port.has_value()) << indexer->log();
    p.produce_range(1, 20);
    ASSERT_TRUE(p.converges(Pipeline::ids(1, 20))) << indexer->log();

    // Another writer sets its own external version, far above any PostgreSQL has reached,
    // with its low bits set (so it is no count of kt's); then the row changes.
    const std::int64_t theirs = (p.transaction_count() + 1'000'000'000) * kVersionScale + 5;
    ASSERT_EQ(p.put_document("7", json{{"title", "theirs"}, {"n", 0}},
                             fmt::format("version={}&version_type=external", theirs)),
              200);
    p.update_row(7, "changed", 70);
    p.produce_range(7, 7);

    const std::string series = "kt_indexer_foreign_versions_total{index=\"" + p.alias() + "\"}";
    ASSERT_TRUE(test::wait_until(
        [&] {
            return test::metric_value(test::http_get(*port, "/metrics").second, series)
                       .value_or(0) >= 1;
        },
        kDeadline, 100ms))
        << indexer->log();
    ASSERT_TRUE(indexer->wait_for_log("beyond any PostgreSQL has reached", kDeadline))
        << indexer->log();
    EXPECT_THAT(indexer->log(), ::testing::HasSubstr("`kt --config " + p.config_path() +
                                                     " reindex " + p.alias() + "`"));
    EXPECT_THAT(indexer->log(), ::testing::HasSubstr("changed by another writer"));
    EXPECT_EQ(p.document("7"), (json{{"title", "theirs"}, {"n", 0}}));  // kt cannot overwrite it

    const auto run = p.kt("verify " + p.alias());
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_THAT(run.output,
                ::testing::HasSubstr(fmt::format("written outside kt: 1 (e.g. 7 at version {})\n"
                                                 "  1 of them ahead of PostgreSQL",
                                                 theirs)));
    // A full rebuild takes the index back: a new physical index knows no foreign version.
    const auto rebuilt = p.kt("reindex " + p.alias());
    ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.output;
    EXPECT_EQ(p.document("7"), row_doc("changed", 70));
    EXPECT_TRUE(test::stop_cleanly({indexer.get()}, kExitDeadline));
}

TEST(IndexerE2e, AnIndexWrittenWithUnscaledVersionsIsUpdatedWithoutAReindex) {
    // Documents as kt wrote them before versions were scaled: external_gte with the snapshot's
    // transaction count itself.
    Pipeline p;
    constexpr std::int64_t kIds = 40;
    p.upsert_range(1, kIds, "old", 1);
    auto indexer = p.start_indexer();  // makes the alias and its index, then waits for ids
    ASSERT_TRUE(indexer->wait_for_log("assigned", kDeadline)) << indexer->log();
    const std::int64_t old_count = p.transaction_count();
    for (std::int64_t id = 1; id <= kIds; ++id) {
        ASSERT_EQ(p.put_document(std::to_string(id), row_doc("old-" + std::to_string(id), id),
                                 fmt::format("version={}&version_type=external_gte", old_count)),
                  201);
    }
    auto run = p.kt("verify " + p.alias());
    EXPECT_EQ(run.exit_code, 0) << run.output;  // unscaled versions are kt's, not foreign
    // One of them then overwritten by another writer (its version one more), as before.
    ASSERT_EQ(p.put_document("40", json{{"title", "hand edit"}, {"n", 0}}), 200);

    // The upgraded indexer updates half of the rows; the other half keeps its old versions.
    p.upsert_range(21, kIds, "new", 5);
    p.produce_range(21, kIds);
    ASSERT_TRUE(p.converges(Pipeline::ids(1, kIds))) << indexer->log();
    for (std::int64_t id = 21; id <= kIds; ++id) {
        const auto version = p.version(std::to_string(id));
        ASSERT_TRUE(version.has_value());
        EXPECT_GT(*version, old_count * kVersionScale) << id;
    }
    EXPECT_EQ(p.version("1"), old_count);
    run = p.kt("verify " + p.alias());
    EXPECT_EQ(run.exit_code, 0) << run.output;

    // An older snapshot's state still never overwrites the upgraded writes.
    p.update_row(30, "newest", 99);
    p.produce_range(30, 30);
    ASSERT_TRUE(p.converges(Pipeline::ids(1, kIds))) << indexer->log();
    ASSERT_EQ(p.put_document("30", row_doc("old-30", 30),
                             fmt::format("version={}&version_type=external_gte", old_count)),
              409);
    EXPECT_EQ(p.document("30"), row_doc("newest", 99));
    EXPECT_TRUE(test::stop_cleanly({indexer.get()}, kExitDeadline));
}

// A broken target is not a broken document: errors of the index or the cluster as a whole
// stop the pipeline (not ready, logged with the fix, retried, nothing committed) instead of
// dead-lettering every message, and it resumes by itself once the target is fixed.

/// Sets `physical` to the one index behind the pipeline's alias; a fatal failure when there is
/// not exactly one.
void only_physical_index(Pipeline& p, std::string& physical) {
    const auto indices = p.physical_indices();
    ASSERT_EQ(indices.size(), 1U);
    physical = indices[0];
}

/// Runs one "broken target" scenario: 60 rows indexed, the target broken by `brk`, the rows
/// changed and their ids sent, then the indexer must log `cause` with the fix, go not ready
/// and dead-letter nothing; after `fix` every document must equal its row.
void expect_stops_until_fixed(Pipeline& p, const std::function<void()>& brk,
                              const std::string& cause, const std::function<void()>& fix) {
    constexpr std::int64_t kIds = 60;
    p.upsert_range(1, kIds, "before", 1);
    auto indexer = p.start_indexer();
    const auto port = test::wait_status_port(*indexer, kDeadline);
    ASSERT_TRUE(port.has_value()) << indexer->log();
    p.produce_range(1, kIds);
    ASSERT_TRUE(p.converges(Pipeline::ids(1, kIds))) << indexer->log();

    brk();
    p.upsert_range(1, kIds, "during", 2);
    p.produce_range(1, kIds);
    ASSERT_TRUE(indexer->wait_for_log("refuses writes to " + p.alias() + " as a whole", kDeadline))
        << indexer->log();
    EXPECT_THAT(indexer->log(), ::testing::HasSubstr(cause));
    EXPECT_THAT(indexer->log(), ::testing::HasSubstr("fix: "));
    std::pair<int, std::string> ready;
    EXPECT_TRUE(test::readyz_answers(*port, 503, kDeadline, &ready));
    // Still failing after a few retries, and not one message dead-lettered for it.
    ASSERT_TRUE(indexer->wait_for_log("batch failed, retrying", kDeadline, 3)) << indexer->log();
    const auto dead = [&] {
        return test::metric_value(test::http_get(*port, "/metrics").second,
                                  "kt_indexer_dead_letters_total{index=\"" + p.alias() + "\"}")
            .value_or(-1);
    };
    EXPECT_EQ(dead(), 0);

    fix();
    EXPECT_TRUE(p.converges(Pipeline::ids(1, kIds), 90s)) << indexer->log();
    EXPECT_TRUE(test::readyz_answers(*port, 200, kDeadline));
    EXPECT_EQ(dead(), 0);
    EXPECT_TRUE(test::read_topic(p.dead_letter_topic(), 1, 2s).empty());
    EXPECT_TRUE(test::stop_cleanly({indexer.get()}, kExitDeadline));
}

TEST(IndexerE2e, AnAliasRemadeByHandOverTwoIndicesStopsThePipelineUntilOneIsRemoved) {
    // kt makes its index the alias's write index; an operator who makes the alias again by
    // hand over a second index as well leaves it with none.
    Pipeline p;
    const std::string extra = p.alias() + "_by_hand";
    std::string physical;
    expect_stops_until_fixed(
        p,
        [&] {
            ASSERT_NO_FATAL_FAILURE(only_physical_index(p, physical));
            ASSERT_EQ(p.search_request("PUT", "/" + extra, json::object()).first, 200);
            const json remake = {
                {"actions",
                 {{{"remove", {{"index", physical}, {"alias", p.alias()}}}},
                  {{"add", {{"index", physical}, {"alias", p.alias()}}}},
                  {{"add", {{"index", extra}, {"alias", p.alias()}}}}}}};
            ASSERT_EQ(p.search_request("POST", "/_aliases", remake).first, 200);
        },
        "no write index is defined for alias",
        [&] {
            const json remove = {
                {"actions", {{{"remove", {{"index", extra}, {"alias", p.alias()}}}}}}};
            ASSERT_EQ(p.search_request("POST", "/_aliases", remove).first, 200);
            (void)p.search_request("DELETE", "/" + extra);
        });
}

TEST(IndexerE2e, AWriteBlockOnARealServerStopsThePipelineUntilLifted) {
    if (test::stack_search() == "standin") {
        GTEST_SKIP() << "index blocks are not modelled by kt-es-standin; runs on a real server";
    }
    Pipeline p;
    std::string physical;
    expect_stops_until_fixed(
        p,
        [&] {
            ASSERT_NO_FATAL_FAILURE(only_physical_index(p, physical));
            ASSERT_EQ(p.search_request("PUT", "/" + physical + "/_settings",
                                       json{{"index.blocks.write", true}})
                          .first,
                      200);
        },
        "cluster_block_exception",
        [&] {
            ASSERT_EQ(p.search_request("PUT", "/" + physical + "/_settings",
                                       json{{"index.blocks.write", nullptr}})
                          .first,
                      200);
        });
}

TEST(IndexerE2e, ADeletedIndexWithoutAutoCreateOnARealServerStopsThePipelineUntilReindexed) {
    if (test::stack_search() == "standin") {
        GTEST_SKIP() << "action.auto_create_index is not modelled by kt-es-standin; runs on a "
                        "real server";
    }
    Pipeline p;
    // Only this test's names are kept from being created by a write.
    const auto auto_create = [&](const json& value) {
        return p
            .search_request("PUT", "/_cluster/settings",
                            json{{"transient", {{"action.auto_create_index", value}}}})
            .first;
    };
    expect_stops_until_fixed(
        p,
        [&] {
            ASSERT_EQ(auto_create("-" + p.alias() + "*,+*"), 200);
            std::string physical;
            ASSERT_NO_FATAL_FAILURE(only_physical_index(p, physical));
            ASSERT_EQ(p.search_request("DELETE", "/" + physical).first, 200);
        },
        "index_not_found_exception",
        [&] {
            const auto rebuilt = p.kt("reindex " + p.alias());
            EXPECT_EQ(rebuilt.exit_code, 0) << rebuilt.output;
        });
    EXPECT_EQ(auto_create(nullptr), 200);
}

}  // namespace
}  // namespace kt::workers
