// kt-delayer end to end: the real executable against the development stack's Kafka (and, for
// self-healing, kt-indexer with PostgreSQL and the stack's search server).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "lib/kafka/admin.hpp"
#include "lib/kafka/producer.hpp"
#include "lib/non_copyable.hpp"
#include "lib/wire/messages.hpp"
#include "tests/support/dev_stack.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/test_env.hpp"
#include "tests/support/topic_reader.hpp"
#include "tests/support/worker_process.hpp"

namespace kt::workers {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using test::ReceivedMessage;
using test::TopicReader;
using test::unix_now;
using test::WorkerProcess;

constexpr auto kDeadline = 60s;
constexpr auto kExitDeadline = 10s;
/// Releases must happen within this long after their due time.
constexpr double kMaxLateness = 1.0;
const std::string kKtBinary = KT_BINARY_DIR "/cmd/kt";

/// A private kt-devbroker that the KT_TEST_* broker variables name while it lives (every helper
/// and config below then uses it, topic creation included), so that refusing its produce
/// requests disturbs no other test. Kafka refusing produce requests is a fault only kt-devbroker
/// makes: the tests that use this run on it also when the stack runs Apache Kafka.
class BrokerForThisTest : private NonCopyable {
public:
    BrokerForThisTest() {
        replace_env("KT_TEST_STACK_KAFKA", "devbroker");
        replace_env("KT_TEST_KAFKA_BROKERS", broker_.brokers());
        replace_env("KT_TEST_DEVBROKER_CONTROL", broker_.control());
    }
    ~BrokerForThisTest() {
        for (const auto& [name, value] : saved_) {
            if (value) {
                ::setenv(name.c_str(), value->c_str(), 1);
            } else {
                ::unsetenv(name.c_str());
            }
        }
    }

    /// Every produce request fails with a retriable error until accept_produce().
    void refuse_produce() {
        broker_.post("/errors",
                     {{"api", "Produce"}, {"error", "NOT_ENOUGH_REPLICAS"}, {"count", 100000}});
    }
    /// Produce requests succeed again.
    void accept_produce() { broker_.post("/errors/clear", {{"api", "Produce"}}); }

private:
    void replace_env(const std::string& name, const std::string& value) {
        const char* old = std::getenv(name.c_str());
        saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
        ::setenv(name.c_str(), value.c_str(), 1);
    }

    test::PrivateBroker broker_;
    std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

/// One delay stage of a test config.
struct Stage {
    std::string suffix;  ///< stage name (and topic) = <unique name>_<suffix>
    std::string delay;   ///< e.g. "2s"
    std::string next;    ///< suffix of the next stage, empty when none
};

/// What a test needs besides its delay stages.
struct SetupOptions {
    int partitions = 4;
    /// kafka.properties beyond the test defaults (session timeout 6 s, heartbeat 500 ms).
    std::map<std::string, std::string> properties;
    /// Creates a PostgreSQL table for the index (self-healing test); otherwise the index is
    /// only there because a delayer's target must be an index topic.
    bool with_table = false;
    /// Adds a second index, whose model topic is other().
    bool with_other_index = false;
};

/// Delay stages with unique topic names, the model topic they release to, and a config file.
class Delays : public test::Fixture {
public:
    explicit Delays(std::vector<Stage> stages, SetupOptions options = {})
        : Fixture("dly"), stages_(std::move(stages)), options_(std::move(options)) {
        create_topic(target(), 4);
        if (options_.with_other_index) create_topic(other(), 4);
        for (const auto& s : stages_) {
            create_topic_with_dead_letters(topic(s.suffix), options_.partitions);
        }
        if (options_.with_table) {
            create_tables(
                "CREATE TABLE " + name() + " (id bigint PRIMARY KEY, title text NOT NULL)",
                {name()});
        }
        write_config(config_text());
    }

    /// The model topic (and index) payloads are released to.
    [[nodiscard]] const std::string& target() const { return name(); }
    /// The second index's model topic (with_other_index).
    [[nodiscard]] std::string other() const { return name() + "_other"; }
    /// The delay topic (and delayer name) of stage `suffix`.
    [[nodiscard]] std::string topic(const std::string& suffix) const {
        return name() + "_" + suffix;
    }
    /// The committed offsets of stage `suffix`'s consumer group, by partition (kafka::kNoOffset
    /// when none).
    [[nodiscard]] std::vector<std::int64_t> committed(const std::string& suffix) const {
        std::vector<kafka::TopicPartition> parts;
        for (std::int32_t p = 0; p < options_.partitions; ++p) {
            parts.push_back({topic(suffix), p, kafka::kNoOffset});
        }
        kafka::Admin admin(test::broker_options());
        std::vector<std::int64_t> out;
        for (const auto& c : admin.committed(name() + "_g.delayer." + topic(suffix), parts,
                                             std::chrono::seconds(10))) {
            out.push_back(c.offset);
        }
        return out;
    }

    /// Produces raw values in order to one partition of `topic`, unkeyed.
    void produce(const std::string& topic, std::int32_t partition,
                 const std::vector<std::string>& values) {
        std::vector<std::pair<std::int32_t, std::string>> records;
        for (const auto& v : values) records.emplace_back(partition, v);
        produce(topic, records);
    }
    /// Produces (partition, value) pairs in order with one producer, unkeyed.
    void produce(const std::string& topic,
                 const std::vector<std::pair<std::int32_t, std::string>>& records) {
        kafka::Options options = test::broker_options();
        options.properties["linger.ms"] = "20";
        kafka::Producer producer(options);
        for (const auto& [partition, value] : records) {
            producer.produce(kafka::Record{topic, std::nullopt, value, {}, partition, 0});
        }
        const auto flushed = producer.flush(30s);
        ASSERT_TRUE(flushed.ok());
        ASSERT_EQ(flushed.delivered, records.size());
    }

    /// Produces one unkeyed value with Kafka timestamp `timestamp_ms` to `partition` of `topic`.
    void produce_stamped(const std::string& topic, std::int32_t partition, const std::string& value,
                         std::int64_t timestamp_ms) {
        kafka::Producer producer(test::broker_options());
        producer.produce(kafka::Record{topic, std::nullopt, value, {}, partition, 0},
                         std::chrono::milliseconds(timestamp_ms));
        const auto flushed = producer.flush(30s);
        ASSERT_EQ(flushed.delivered, 1U);
    }

    std::unique_ptr<WorkerProcess> start_delayer(const std::string& log_name = "delayer",
                                                 std::vector<std::string> extra = {}) {
        return start_worker("kt-delayer", log_name, extra);
    }
    std::unique_ptr<WorkerProcess> start_indexer() { return start_worker("kt-indexer", "indexer"); }

    /// `_source` of document `id` in the index, nullopt when absent.
    std::optional<json> document(const std::string& id) {
        httplib::Client client(test::es_url());
        const auto res = client.Get("/" + name() + "/_doc/" + id);
        if (!res || res->status == 404) return std::nullopt;
        if (res->status != 200) return json{{"unexpected_status", res->status}};
        return json::parse(res->body).value("_source", json());
    }

private:
    [[nodiscard]] std::string config_text() const {
        std::string delayers;
        for (const auto& s : stages_) {
            delayers +=
                fmt::format("  {}: {{ delay: {}, target: {}{} }}\n", topic(s.suffix), s.delay,
                            name(), s.next.empty() ? "" : ", next: " + topic(s.next));
        }
        std::string other_index;
        if (options_.with_other_index) {
            other_index = fmt::format("  {}:\n    table: {}\n", other(), name());
        }
        auto config = this->config();
        config.properties = test::quick_group_properties(options_.properties);
        config.es_timeout = "10s";
        config.sections = fmt::format(R"(indexes:
  {0}:
    query: |
      SELECT id, jsonb_build_object('title', title) AS doc
      FROM {0} WHERE id = ANY($1::bigint[])
    batch_wait: 50ms
{1}delayers:
{2})",
                                      name(), other_index, delayers);
        return config.yaml();
    }

    std::vector<Stage> stages_;
    SetupOptions options_;
};

/// A kafka_tools envelope for integer id `id`; nullopt members are left out.
std::string envelope(std::int64_t id, std::optional<double> created_at,
                     std::optional<std::string> topic) {
    json j{{"payload", {{"id", id}}}};
    if (created_at) j["created_at"] = *created_at;
    if (topic) j["topic"] = *topic;
    return j.dump(-1, ' ', false, json::error_handler_t::strict);
}

/// Seconds from `due` to the release's Kafka timestamp (set by kt-delayer's producer).
double lateness(const ReceivedMessage& r, double due) {
    return static_cast<double>(r.message.timestamp_ms.value_or(0)) / 1000.0 - due;
}

/// Fails unless the release was not early (to the millisecond of Kafka timestamps) and at most
/// kMaxLateness late.
::testing::AssertionResult released_on_time(const ReceivedMessage& r, double due) {
    const auto ts = r.message.timestamp_ms.value_or(0);
    const auto due_ms = static_cast<std::int64_t>(std::floor(due * 1000.0));
    if (ts < due_ms) {
        return ::testing::AssertionFailure()
               << "released " << (due_ms - ts) << " ms early: " << r.message.payload;
    }
    if (lateness(r, due) > kMaxLateness) {
        return ::testing::AssertionFailure()
               << "released " << lateness(r, due) << " s late: " << r.message.payload;
    }
    return ::testing::AssertionSuccess();
}

/// The id of a released instant message `{"id": N}`.
std::int64_t released_id(const ReceivedMessage& r) {
    return json::parse(r.message.payload).at("id").get<std::int64_t>();
}

/// The distinct ids released to `reader`, read until there are `count` (or the deadline).
std::set<std::int64_t> released_ids(TopicReader& reader, std::size_t count) {
    std::set<std::int64_t> ids;
    (void)test::wait_until(
        [&] {
            for (const auto& r : reader.read_until(count, 200ms)) ids.insert(released_id(r));
            return ids.size() == count;
        },
        kDeadline);
    return ids;
}

/// Envelopes for ids 1..count, created a minute ago (overdue), spread over partitions 0..3.
void produce_overdue(Delays& d, const std::string& stage, std::int64_t count) {
    const double now = unix_now();
    std::vector<std::pair<std::int32_t, std::string>> records;
    for (std::int64_t id = 1; id <= count; ++id) {
        records.emplace_back(static_cast<std::int32_t>(id % 4),
                             envelope(id, now - 60, std::nullopt));
    }
    d.produce(stage, records);
}

/// The value of `series` on the worker's /metrics, nullopt when absent or unreachable.
std::optional<double> metric(int port, const std::string& series) {
    const auto [status, body] = test::http_get(port, "/metrics");
    if (status != 200) return std::nullopt;
    return test::metric_value(body, series);
}

/// The group assigned `delayer` its partitions once and never took them back, nor dropped it
/// for polling too late.
::testing::AssertionResult kept_its_group(WorkerProcess& delayer) {
    if (delayer.count_in_log("assigned") == 1 && delayer.count_in_log("revoked") == 0 &&
        delayer.count_in_log("maximum poll interval") == 0) {
        return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "assigned " << delayer.count_in_log("assigned")
                                         << " time(s), revoked " << delayer.count_in_log("revoked")
                                         << " time(s):\n" << delayer.log();
}

/// Kafka refusing the releases of stage `d` (1 s) while `count` overdue envelopes wait on it: a
/// private kt-devbroker, a reader of the target, and delayers that poll within 6 s and give a
/// release up after 2 s (then retry their batch).
struct RefusedReleases {
    explicit RefusedReleases(std::int64_t count) {
        produce_overdue(d, stage, count);
        reader = std::make_unique<TopicReader>(d.target());
    }

    /// Starts `member`, a delayer logging to `log_name`, while Kafka refuses: success once one
    /// of its batches failed (its status port in `port`).
    ::testing::AssertionResult start_refused(const std::string& log_name) {
        if (!reader->wait_assigned(kDeadline)) {
            return ::testing::AssertionFailure() << "the reader was not assigned";
        }
        broker.refuse_produce();
        member = d.start_delayer(log_name);
        const auto status_port = test::wait_status_port(*member, kDeadline);
        if (!status_port) return ::testing::AssertionFailure() << member->log();
        port = *status_port;
        if (!test::wait_until([&] { return metric(port, failed) >= 1.0; }, kDeadline)) {
            return ::testing::AssertionFailure() << "no batch failed\n" << member->log();
        }
        return ::testing::AssertionSuccess();
    }

    /// Lets Kafka accept again: success once all `count` envelopes were released and
    /// committed (`logs` for a failure).
    ::testing::AssertionResult accept_and_release(std::int64_t count,
                                                  const std::function<std::string()>& logs) {
        broker.accept_produce();
        const auto ids = released_ids(*reader, static_cast<std::size_t>(count));
        if (ids.size() != static_cast<std::size_t>(count)) {
            return ::testing::AssertionFailure()
                   << ids.size() << " of " << count << " released\n" << logs();
        }
        if (!test::wait_until(
                [&] { return d.committed("d") == std::vector<std::int64_t>(4, count / 4); },
                10s)) {
            return ::testing::AssertionFailure() << "not committed\n" << logs();
        }
        return ::testing::AssertionSuccess();
    }

    BrokerForThisTest broker;  // first: the others use it
    Delays d{std::vector<Stage>{{"d", "1s", ""}},
             SetupOptions{4,
                          {{"max.poll.interval.ms", "6000"}, {"message.timeout.ms", "2000"}},
                          false,
                          false}};
    std::string stage = d.topic("d");
    std::unique_ptr<TopicReader> reader;
    /// The series of the stage's failed batches.
    std::string failed = "kt_delayer_batches_total{delayer=\"" + stage + "\",outcome=\"failed\"}";
    std::unique_ptr<WorkerProcess> member;
    int port = 0;
};

void expect_clean_exit(WorkerProcess& worker) {
    const auto asked = std::chrono::steady_clock::now();
    worker.terminate();
    EXPECT_EQ(worker.wait_exit(kExitDeadline), 0) << worker.log();
    EXPECT_LT(std::chrono::steady_clock::now() - asked, kExitDeadline);
}

TEST(DelayerE2e, ReleasesNoEarlierThanDueAndWithinASecondAfter) {
    Delays d({{"d", "2s", ""}});
    const std::string stage = d.topic("d");
    TopicReader reader(d.target());
    ASSERT_TRUE(reader.wait_assigned(kDeadline));
    auto delayer = d.start_delayer();
    ASSERT_TRUE(delayer->wait_for_log("assigned 4 partition(s)", kDeadline)) << delayer->log();
    const auto port = test::wait_status_port(*delayer, kDeadline);
    ASSERT_TRUE(port.has_value()) << delayer->log();

    // Due between 1.1 s and 2 s from now, spread over the partitions; half name their topic,
    // half fall back to the delayer's target.
    std::map<std::int64_t, double> due;
    std::vector<std::pair<std::int32_t, std::string>> records;
    const double now = unix_now();
    for (std::int64_t id = 1; id <= 40; ++id) {
        const double created_at = now - static_cast<double>(id % 10) * 0.1;
        due[id] = created_at + 2.0;
        const auto topic = id % 2 == 0 ? std::optional<std::string>(d.target()) : std::nullopt;
        records.emplace_back(static_cast<std::int32_t>(id % 4), envelope(id, created_at, topic));
    }
    d.produce(stage, records);
    ASSERT_LT(unix_now(), now + 1.0) << "producing took too long for the test to mean anything";
    // Without created_at, the Kafka timestamp counts.
    const double before = unix_now();
    d.produce(stage, 0, {envelope(100, std::nullopt, std::nullopt)});
    const double after = unix_now();

    const auto& got = reader.read_until(41, kDeadline);
    ASSERT_EQ(got.size(), 41U) << delayer->log();
    std::set<std::int64_t> seen;
    for (const auto& r : got) {
        const auto id = released_id(r);
        seen.insert(id);
        EXPECT_EQ(r.message.key, std::optional<std::string>(std::to_string(id)));
        EXPECT_EQ(json::parse(r.message.payload), (json{{"id", id}}));
        if (id == 100) {
            const double ts = static_cast<double>(*r.message.timestamp_ms) / 1000.0;
            EXPECT_GE(ts, std::floor((before + 2.0) * 1000.0) / 1000.0 - 0.001);
            EXPECT_LE(ts, after + 2.0 + kMaxLateness);
            continue;
        }
        EXPECT_TRUE(released_on_time(r, due.at(id)));
    }
    EXPECT_EQ(seen.size(), 41U);

    const std::string labels = "{delayer=\"" + stage + "\"}";
    EXPECT_TRUE(test::wait_until(
        [&] { return metric(*port, "kt_delayer_released_total" + labels) == 41.0; }, 10s))
        << test::http_get(*port, "/metrics").second;
    EXPECT_EQ(metric(*port, "kt_delayer_release_lateness_seconds_count" + labels), 41.0);
    EXPECT_EQ(metric(*port, "kt_delayer_dead_letters_total" + labels), 0.0);
    EXPECT_EQ(test::http_get(*port, "/healthz").first, 200);
    EXPECT_EQ(test::http_get(*port, "/readyz").first, 200);
    EXPECT_GE(delayer->count_in_log("released"), 1U);
    expect_clean_exit(*delayer);
}

TEST(DelayerE2e, AnEnvelopeFromAClockAheadIsHeldTheDelayFromWhenItWasFirstSeen) {
    Delays d({{"d", "2s", ""}});
    const std::string stage = d.topic("d");
    TopicReader reader(d.target());
    ASSERT_TRUE(reader.wait_assigned(kDeadline));
    auto delayer = d.start_delayer();
    ASSERT_TRUE(delayer->wait_for_log("assigned 4 partition(s)", kDeadline)) << delayer->log();
    const auto port = test::wait_status_port(*delayer, kDeadline);
    ASSERT_TRUE(port.has_value()) << delayer->log();

    // The producer's clock runs an hour ahead. The delayer first sees the envelope after
    // `before`, and no later than the moment its future-envelope counter reads 1 (it counts
    // the envelope when it takes it in); a busy machine may hold the fetch back a while.
    const std::string labels = "{delayer=\"" + stage + "\"}";
    const double before = unix_now();
    d.produce(stage, 1, {envelope(1, before + 3600, std::nullopt)});
    ASSERT_TRUE(test::wait_until(
        [&] { return metric(*port, "kt_delayer_future_envelopes_total" + labels) == 1.0; },
        kDeadline, 10ms))
        << delayer->log();
    const double seen_by = unix_now();

    const auto& got = reader.read_until(1, kDeadline);
    ASSERT_EQ(got.size(), 1U) << delayer->log();
    EXPECT_EQ(released_id(got[0]), 1);
    const double ts = static_cast<double>(*got[0].message.timestamp_ms) / 1000.0;
    EXPECT_GE(ts, std::floor((before + 2.0) * 1000.0) / 1000.0) << "released early";
    EXPECT_LE(ts, seen_by + 2.0 + kMaxLateness) << "held longer than the delay";
    EXPECT_EQ(metric(*port, "kt_delayer_future_envelopes_total" + labels), 1.0);
    expect_clean_exit(*delayer);
}

TEST(DelayerE2e, TheEnvelopesTopicWinsOverTheDelayersTarget) {
    SetupOptions options;
    options.with_other_index = true;
    Delays d({{"d", "1s", ""}}, options);
    TopicReader target(d.target());
    TopicReader other(d.other());
    ASSERT_TRUE(target.wait_assigned(kDeadline));
    ASSERT_TRUE(other.wait_assigned(kDeadline));
    auto delayer = d.start_delayer();
    ASSERT_TRUE(delayer->wait_for_log("assigned 4 partition(s)", kDeadline)) << delayer->log();

    const double now = unix_now();
    d.produce(d.topic("d"), 0,
              {envelope(1, now - 10, d.other()), envelope(2, now - 10, std::nullopt)});
    const auto& to_other = other.read_until(1, kDeadline);
    ASSERT_EQ(to_other.size(), 1U) << delayer->log();
    EXPECT_EQ(released_id(to_other[0]), 1);
    const auto& to_target = target.read_until(1, kDeadline);
    ASSERT_EQ(to_target.size(), 1U) << delayer->log();
    EXPECT_EQ(released_id(to_target[0]), 2);
    EXPECT_EQ(target.read_for(500ms).size(), 1U) << "id 1 went to its own topic only";
    expect_clean_exit(*delayer);
}

TEST(DelayerE2e, WithoutCreatedAtTheKafkaTimestampCountsNotWhenFirstSeen) {
    Delays d({{"d", "4s", ""}});
    TopicReader reader(d.target());
    ASSERT_TRUE(reader.wait_assigned(kDeadline));
    auto delayer = d.start_delayer();
    ASSERT_TRUE(delayer->wait_for_log("assigned 4 partition(s)", kDeadline)) << delayer->log();

    // Stamped 2 s before it is produced: due 2 s after producing, not 4 s (first seen + delay).
    const auto stamped_ms = static_cast<std::int64_t>(std::floor((unix_now() - 2.0) * 1000.0));
    d.produce_stamped(d.topic("d"), 2, envelope(1, std::nullopt, std::nullopt), stamped_ms);
    const auto& got = reader.read_until(1, kDeadline);
    ASSERT_EQ(got.size(), 1U) << delayer->log();
    EXPECT_EQ(released_id(got[0]), 1);
    EXPECT_TRUE(released_on_time(got[0], static_cast<double>(stamped_ms) / 1000.0 + 4.0));
    expect_clean_exit(*delayer);
}

TEST(DelayerE2e, PartitionsWithDifferentDueTimesAreServedIndependently) {
    Delays d({{"d", "4s", ""}});
    TopicReader reader(d.target());
    ASSERT_TRUE(reader.wait_assigned(kDeadline));
    auto delayer = d.start_delayer();
    ASSERT_TRUE(delayer->wait_for_log("assigned 4 partition(s)", kDeadline)) << delayer->log();

    // Partition p's envelope is due in 4 - p seconds (partition 3 first, partition 0 last);
    // partition 0 holds a second envelope due long ago behind its first one.
    const double now = unix_now();
    std::map<std::int64_t, double> due;
    std::vector<std::pair<std::int32_t, std::string>> records;
    for (std::int32_t p = 0; p < 4; ++p) {
        const double created_at = now - p;
        due[p + 1] = created_at + 4.0;
        records.emplace_back(p, envelope(p + 1, created_at, std::nullopt));
    }
    records.emplace_back(0, envelope(99, now - 3600, std::nullopt));
    d.produce(d.topic("d"), records);
    due[99] = due[1];  // offset order: released with (right after) its partition's head

    const auto& got = reader.read_until(5, kDeadline);
    ASSERT_EQ(got.size(), 5U) << delayer->log();
    std::vector<std::int64_t> order;
    for (const auto& r : got) {
        order.push_back(released_id(r));
        EXPECT_TRUE(released_on_time(r, due.at(released_id(r))));
    }
    // Each partition's envelope at its own time: no head-of-line blocking across partitions.
    ASSERT_GE(order.size(), 3U);
    EXPECT_EQ((std::vector<std::int64_t>{order[0], order[1], order[2]}),
              (std::vector<std::int64_t>{4, 3, 2}));
    EXPECT_THAT(std::vector<std::int64_t>(order.begin() + 3, order.end()),
                ::testing::UnorderedElementsAre(1, 99));
    expect_clean_exit(*delayer);
}

TEST(DelayerE2e, ABacklogOfEnvelopesNotYetDueDoesNotBlockAnOverdueOne) {
    Delays d({{"d", "5m", ""}});
    const std::string stage = d.topic("d");
    // 20,000 envelopes on partition 0 that fall due only in 5 minutes.
    std::vector<std::string> backlog;
    const double now = unix_now();
    for (std::int64_t id = 1; id <= 20000; ++id) backlog.push_back(envelope(id, now, std::nullopt));
    d.produce(stage, 0, backlog);

    TopicReader reader(d.target());
    ASSERT_TRUE(reader.wait_assigned(kDeadline));
    auto delayer = d.start_delayer();
    const auto port = test::wait_status_port(*delayer, kDeadline);
    ASSERT_TRUE(port.has_value()) << delayer->log();
    const std::string labels = "{delayer=\"" + stage + "\"}";
    // Partition 0's window fills up and the partition is paused; the rest stays in Kafka.
    ASSERT_TRUE(test::wait_until(
        [&] { return metric(*port, "kt_delayer_paused_partitions" + labels) >= 1.0; }, kDeadline))
        << delayer->log();
    const auto window = metric(*port, "kt_delayer_window_envelopes" + labels);
    ASSERT_TRUE(window.has_value());
    EXPECT_LE(*window, 1000.0) << "the backlog must stay in Kafka, not in memory";

    // An envelope overdue since a minute on partition 1 is released at once.
    const double produced_at = unix_now();
    d.produce(stage, 1, {envelope(50000, produced_at - 3600, std::nullopt)});
    const auto& got = reader.read_until(1, kDeadline);
    ASSERT_EQ(got.size(), 1U) << delayer->log();
    EXPECT_EQ(released_id(got[0]), 50000);
    EXPECT_LE(got[0].received_at - produced_at, kMaxLateness) << delayer->log();
    EXPECT_TRUE(test::wait_until(
        [&] { return metric(*port, "kt_delayer_held_envelopes" + labels) == 20000.0; }, 10s));
    EXPECT_EQ(reader.read_for(500ms).size(), 1U) << "nothing of the backlog is due";
    expect_clean_exit(*delayer);
}

TEST(DelayerE2e, ChainedStagesForwardWithAFreshCreatedAt) {
    Delays d({{"a", "1s", "b"}, {"b", "2s", ""}});
    TopicReader released(d.target());
    TopicReader forwarded(d.topic("b"));
    ASSERT_TRUE(released.wait_assigned(kDeadline));
    ASSERT_TRUE(forwarded.wait_assigned(kDeadline));
    auto delayer = d.start_delayer();
    ASSERT_TRUE(delayer->wait_for_log("assigned 4 partition(s) of " + d.topic("a"), kDeadline))
        << delayer->log();
    ASSERT_TRUE(delayer->wait_for_log("assigned 4 partition(s) of " + d.topic("b"), kDeadline))
        << delayer->log();
    const auto port = test::wait_status_port(*delayer, kDeadline);
    ASSERT_TRUE(port.has_value()) << delayer->log();

    const double created_at = unix_now();
    d.produce(d.topic("a"), 2, {envelope(7, created_at, d.target())});

    const auto& fwd = forwarded.read_until(1, kDeadline);
    ASSERT_EQ(fwd.size(), 1U) << delayer->log();
    const json next = json::parse(fwd[0].message.payload);
    EXPECT_EQ(next["payload"], (json{{"id", 7}}));
    EXPECT_EQ(next["topic"], d.target());
    EXPECT_EQ(fwd[0].message.key, std::optional<std::string>("7"));
    const double fresh = next["created_at"].get<double>();
    EXPECT_GE(fresh, created_at + 1.0) << "created_at is reset when stage a releases";
    EXPECT_LE(fresh, created_at + 1.0 + kMaxLateness);

    const auto& got = released.read_until(2, kDeadline);
    ASSERT_EQ(got.size(), 2U) << delayer->log();
    EXPECT_TRUE(released_on_time(got[0], created_at + 1.0));  // stage a
    EXPECT_TRUE(released_on_time(got[1], fresh + 2.0));       // stage b, from the fresh time
    EXPECT_EQ(released_id(got[0]), 7);
    EXPECT_EQ(released_id(got[1]), 7);
    const auto series = [&](const std::string& name, const std::string& stage) {
        return metric(*port, name + "{delayer=\"" + d.topic(stage) + "\"}");
    };
    EXPECT_TRUE(
        test::wait_until([&] { return series("kt_delayer_released_total", "b") == 1.0; }, 10s));
    EXPECT_EQ(series("kt_delayer_forwarded_total", "a"), 1.0);
    EXPECT_EQ(series("kt_delayer_released_total", "a"), 1.0);
    EXPECT_EQ(series("kt_delayer_forwarded_total", "b"), 0.0) << "the last stage forwards nothing";
    expect_clean_exit(*delayer);
}

TEST(DelayerE2e, SigkillWhileHoldingThenRestartReleasesEverythingNoneEarly) {
    // 20 s: the restarted process joins only once the killed member's session expired (6 s).
    Delays d({{"d", "20s", ""}});
    const std::string stage = d.topic("d");
    const std::string labels = "{delayer=\"" + stage + "\"}";
    TopicReader reader(d.target());
    ASSERT_TRUE(reader.wait_assigned(kDeadline));
    auto first = d.start_delayer("first");
    ASSERT_TRUE(first->wait_for_log("assigned 4 partition(s)", kDeadline)) << first->log();
    const auto port = test::wait_status_port(*first, kDeadline);
    ASSERT_TRUE(port.has_value());

    // Ids 1..100 fall due in about a second, ids 101..200 in 20 s; interleaved per partition.
    std::map<std::int64_t, double> due;
    const double now = unix_now();
    std::vector<std::pair<std::int32_t, std::string>> records;
    for (std::int64_t id = 1; id <= 200; ++id) {
        const double created_at = id <= 100 ? now - 19.0 : now;
        due[id] = created_at + 20.0;
        records.emplace_back(static_cast<std::int32_t>(id % 4),
                             envelope(id, created_at, std::nullopt));
    }
    d.produce(stage, records);

    ASSERT_GE(reader.read_until(100, kDeadline).size(), 100U) << first->log();
    ASSERT_TRUE(test::wait_until(
        [&] { return metric(*port, "kt_delayer_window_envelopes" + labels) == 100.0; }, 10s))
        << first->log();
    first->kill();
    ASSERT_EQ(first->wait_exit(kExitDeadline), 128 + SIGKILL);

    // The restarted process holds the 100 envelopes not yet due (read again from the last
    // commit), before they fall due: "none early" below is about this process.
    auto second = d.start_delayer("second");
    const auto second_port = test::wait_status_port(*second, kDeadline);
    ASSERT_TRUE(second_port.has_value()) << second->log();
    double held_at = 0;
    ASSERT_TRUE(test::wait_until(
        [&] {
            held_at = unix_now();
            return metric(*second_port, "kt_delayer_window_envelopes" + labels) == 100.0;
        },
        kDeadline))
        << second->log();
    ASSERT_LT(held_at, now + 20.0) << "restarted after the held envelopes fell due; proves "
                                      "nothing";
    const std::set<std::int64_t> ids = released_ids(reader, 200);
    ASSERT_EQ(ids.size(), 200U) << ids.size() << " of 200 released\n" << second->log();
    for (const auto& r : reader.messages()) {
        const auto ts_ms = *r.message.timestamp_ms;
        EXPECT_GE(ts_ms, static_cast<std::int64_t>(std::floor(due.at(released_id(r)) * 1000)))
            << "released early: " << r.message.payload;
    }
    expect_clean_exit(*second);
}

TEST(DelayerE2e, KeepsItsGroupWhileHoldingLongerThanMaxPollInterval) {
    SetupOptions options;
    options.properties = {{"max.poll.interval.ms", "6000"}};
    Delays d({{"d", "15s", ""}}, options);
    TopicReader reader(d.target());
    ASSERT_TRUE(reader.wait_assigned(kDeadline));
    auto delayer = d.start_delayer();
    ASSERT_TRUE(delayer->wait_for_log("assigned 4 partition(s)", kDeadline)) << delayer->log();

    const double created_at = unix_now();
    d.produce(d.topic("d"), 3, {envelope(1, created_at, std::nullopt)});
    // Held for 15 s, two and a half times max.poll.interval.ms.
    const auto& got = reader.read_until(1, kDeadline);
    ASSERT_EQ(got.size(), 1U) << delayer->log();
    EXPECT_TRUE(released_on_time(got[0], created_at + 15.0));
    EXPECT_TRUE(kept_its_group(*delayer));
    expect_clean_exit(*delayer);
}

TEST(DelayerE2eOnDevbroker, KeepsItsGroupAndCommitsNothingWhileKafkaRefusesItsReleases) {
    constexpr std::int64_t kCount = 40;
    RefusedReleases refused(kCount);
    ASSERT_TRUE(refused.start_refused("delayer"));
    auto& [broker, d, stage, reader, failed, delayer, port] = refused;

    // Refused for 15 s, two and a half times max.poll.interval.ms: nothing is committed.
    const std::vector<std::int64_t> none(4, kafka::kNoOffset);
    const auto refused_since = std::chrono::steady_clock::now();
    bool moved = false;
    (void)test::wait_until(
        [&, &d = d] {
            moved = d.committed("d") != none;
            return moved || std::chrono::steady_clock::now() - refused_since >= 15s;
        },
        kDeadline, 500ms);
    EXPECT_FALSE(moved) << "committed while every release was refused\n" << delayer->log();
    EXPECT_TRUE(reader->read_for(100ms).empty());
    EXPECT_GE(metric(port, failed).value_or(0), 3.0) << "the batch was retried meanwhile";

    // Once Kafka accepts again, every envelope is released and committed.
    ASSERT_TRUE(
        refused.accept_and_release(kCount, [&delayer = delayer] { return delayer->log(); }));
    // The group kept this member all along.
    EXPECT_TRUE(kept_its_group(*delayer));
    expect_clean_exit(*delayer);
}

TEST(DelayerE2eOnDevbroker, ABatchWhosePartitionsAreRevokedWhileKafkaRefusesIsLeftToTheirNewOwner) {
    constexpr std::int64_t kCount = 40;
    RefusedReleases refused(kCount);
    ASSERT_TRUE(refused.start_refused("first"));
    auto& [broker, d, stage, reader, failed, first, port] = refused;

    // A second member joins while the first retries: the rebalance revokes the first one's
    // partitions, and its batch is dropped without a commit.
    auto second = d.start_delayer("second");
    ASSERT_TRUE(second->wait_for_log("assigned 2 partition(s)", kDeadline)) << second->log();
    ASSERT_TRUE(first->wait_for_log("dropped, their partition was revoked", kDeadline))
        << first->log();
    EXPECT_EQ(d.committed("d"), std::vector<std::int64_t>(4, kafka::kNoOffset));

    // Once Kafka accepts again, the two members release everything between them.
    ASSERT_TRUE(refused.accept_and_release(kCount, [&first = first, &second] {
        return "first:\n" + first->log() + "\nsecond:\n" + second->log();
    }));
    EXPECT_THAT(first->log(), ::testing::Not(::testing::HasSubstr("maximum poll interval")));
    expect_clean_exit(*second);
    expect_clean_exit(*first);
}

TEST(DelayerE2e, SigtermWhileHoldingExitsZeroAndCommitsNothingUnreleased) {
    Delays d({{"d", "1h", ""}});
    auto first = d.start_delayer("first");
    ASSERT_TRUE(first->wait_for_log("assigned 4 partition(s)", kDeadline)) << first->log();
    const auto port = test::wait_status_port(*first, kDeadline);
    ASSERT_TRUE(port.has_value());
    const double now = unix_now();
    d.produce(d.topic("d"), 0,
              {envelope(1, now - 7200, std::nullopt), envelope(2, now, std::nullopt)});
    const std::string labels = "{delayer=\"" + d.topic("d") + "\"}";
    ASSERT_TRUE(test::wait_until(
        [&] { return metric(*port, "kt_delayer_released_total" + labels) == 1.0; }, kDeadline))
        << first->log();
    ASSERT_TRUE(test::wait_until(
        [&] { return metric(*port, "kt_delayer_held_envelopes" + labels) == 1.0; }, 10s))
        << first->log();
    expect_clean_exit(*first);
    EXPECT_THAT(first->log(), ::testing::HasSubstr("stopping"));
    // Committed: the released envelope only.
    EXPECT_EQ(d.committed("d"),
              (std::vector<std::int64_t>{1, kafka::kNoOffset, kafka::kNoOffset, kafka::kNoOffset}));

    // A new process reads the held envelope again and holds it.
    auto second = d.start_delayer("second");
    const auto second_port = test::wait_status_port(*second, kDeadline);
    ASSERT_TRUE(second_port.has_value()) << second->log();
    EXPECT_TRUE(test::wait_until(
        [&] { return metric(*second_port, "kt_delayer_window_envelopes" + labels) == 1.0; },
        kDeadline))
        << second->log();
    EXPECT_EQ(metric(*second_port, "kt_delayer_released_total" + labels), 0.0);
    expect_clean_exit(*second);
}

TEST(DelayerE2e, PoisonEnvelopesAreDeadLetteredAndThePartitionMovesOn) {
    Delays d({{"d", "1s", ""}});
    const std::string stage = d.topic("d");
    const std::vector<std::string> poison{"this is not json", R"({"payload": {"name": "x"}})",
                                          R"({"payload": {"id": 1}, "topic": "no such/topic"})"};
    std::vector<std::string> values = poison;
    values.push_back(envelope(5, unix_now() - 10, std::nullopt));
    d.produce(stage, 0, values);

    TopicReader reader(d.target());
    auto delayer = d.start_delayer();
    const auto port = test::wait_status_port(*delayer, kDeadline);
    ASSERT_TRUE(port.has_value());
    const auto& got = reader.read_until(1, kDeadline);
    ASSERT_EQ(got.size(), 1U) << delayer->log();
    EXPECT_EQ(released_id(got[0]), 5);

    const auto dead = test::read_topic(stage + ".dlq", poison.size(), kDeadline);
    ASSERT_EQ(dead.size(), poison.size()) << delayer->log();
    for (std::size_t i = 0; i < dead.size(); ++i) {
        const auto& m = dead[i];
        EXPECT_EQ(m.payload, poison[i]);
        EXPECT_FALSE(m.header("kt.error").value_or("").empty());
        EXPECT_EQ(m.header("kt.topic"), std::optional<std::string>(stage));
        EXPECT_EQ(m.header("kt.partition"), std::optional<std::string>("0"));
        EXPECT_EQ(m.header("kt.offset"), std::optional<std::string>(std::to_string(i)));
        EXPECT_EQ(m.header("kt.delayer"), std::optional<std::string>(stage));
    }
    EXPECT_THAT(dead[1].header("kt.error").value_or(""), ::testing::HasSubstr("\"id\""));
    EXPECT_THAT(dead[2].header("kt.error").value_or(""), ::testing::HasSubstr("topic"));
    const std::string labels = "{delayer=\"" + stage + "\"}";
    EXPECT_EQ(metric(*port, "kt_delayer_dead_letters_total" + labels), 3.0);
    expect_clean_exit(*delayer);
}

TEST(DelayerE2e, SelfHealingIndexWithOnlyTheDelayMessage) {
    SetupOptions options;
    options.with_table = true;
    Delays d({{"d", "2s", ""}}, options);
    d.exec("INSERT INTO " + d.target() + " (id, title) VALUES (1, 'before')");
    auto indexer = d.start_indexer();
    auto delayer = d.start_delayer();
    // The index starts in sync with the row.
    d.produce(d.target(), 0, {wire::instant_message("1")});
    ASSERT_TRUE(test::wait_until(
        [&] {
            return d.document("1") == json{{"title", "before"}};
        },
        kDeadline))
        << indexer->log();
    ASSERT_TRUE(delayer->wait_for_log("assigned 4 partition(s)", kDeadline)) << delayer->log();

    // The application commits a change and dies before its instant message: only the delay
    // message (sent before the commit, as kafka_tools does) exists.
    const auto sent = test::run_command(kKtBinary + " produce --config " + d.config_path() + " " +
                                        d.target() + " 1 --delay");
    ASSERT_EQ(sent.exit_code, 0) << sent.output;
    d.exec("UPDATE " + d.target() + " SET title = 'after' WHERE id = 1");
    EXPECT_EQ(d.document("1"), (json{{"title", "before"}})) << "nothing re-indexed it yet";

    ASSERT_TRUE(test::wait_until(
        [&] {
            return d.document("1") == json{{"title", "after"}};
        },
        kDeadline))
        << "delayer:\n"
        << delayer->log() << "\nindexer:\n"
        << indexer->log();
    EXPECT_GE(delayer->count_in_log("1 released"), 1U) << delayer->log();
    expect_clean_exit(*delayer);
    expect_clean_exit(*indexer);
}

}  // namespace
}  // namespace kt::workers
