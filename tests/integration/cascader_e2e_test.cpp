// kt-cascader end to end: the real executable (with kt-indexer and kt-delayer where the test
// needs the whole pipeline) against the development stack's PostgreSQL, Kafka and search server.
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
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "lib/app/options_from_config.hpp"
#include "lib/app/publisher.hpp"
#include "lib/config/loader.hpp"
#include "lib/kafka/admin.hpp"
#include "lib/kafka/producer.hpp"
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
using test::WorkerProcess;

constexpr auto kDeadline = 60s;
constexpr auto kExitDeadline = 10s;
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif

/// brands → products → variants, with an index for products and one for variants, a cascade for
/// each association, delay stages of 2 s then 1 h for products, all under unique names; on the
/// stack's Kafka unless given a private kt-devbroker (bootstrap servers and control URL).
class Shop : public test::Fixture {
public:
    Shop() : Shop(test::kafka_brokers(), {}) {}
    Shop(std::string brokers, std::string control) : Fixture("casc") {
        use_broker(std::move(brokers), std::move(control));
        create_tables(
            fmt::format("CREATE TABLE {0}_brands (id bigint PRIMARY KEY, name text NOT NULL);"
                        "CREATE TABLE {0}_products (id bigint PRIMARY KEY, title text NOT NULL,"
                        "  brand_id bigint NOT NULL);"
                        "CREATE INDEX ON {0}_products (brand_id);"
                        "CREATE TABLE {0}_variants (id bigint PRIMARY KEY, sku text NOT NULL,"
                        "  product_id bigint NOT NULL)",
                        name()),
            {brands(), products(), variants()});
        for (const auto& t :
             {brands(), products(), variants(), delay_topic(), later_delay_topic()}) {
            create_topic_with_dead_letters(t, 4);
        }
        write_config(config_text());
    }

    [[nodiscard]] std::string brands() const { return name() + "_brands"; }
    [[nodiscard]] std::string products() const { return name() + "_products"; }
    [[nodiscard]] std::string variants() const { return name() + "_variants"; }
    /// The first delay stage of products (2 s), forwarding to later_delay_topic() (1 h).
    [[nodiscard]] std::string delay_topic() const { return name() + "_delay"; }
    [[nodiscard]] std::string later_delay_topic() const { return name() + "_later"; }
    [[nodiscard]] std::string brand_products() const { return name() + "_brand_products"; }
    /// Starts worker `binary_name` logging to `<log_name>.log`, with `extra` arguments.
    std::unique_ptr<WorkerProcess> start(const std::string& binary_name,
                                         const std::string& log_name,
                                         const std::vector<std::string>& extra = {}) {
        return start_worker(binary_name, log_name, extra);
    }
    /// Brand `id` named `brand`, with products `from..to` titled `p<id>`.
    void brand_with_products(std::int64_t id, const std::string& brand, std::int64_t from,
                             std::int64_t to) {
        exec(fmt::format("INSERT INTO {}_brands VALUES ({}, '{}')", name(), id, brand));
        exec(
            fmt::format("INSERT INTO {0}_products SELECT g, 'p' || g, {1} "
                        "FROM generate_series({2}, {3}) g",
                        name(), id, from, to));
    }

    /// Brand 1 named `brand` with products 1..`children`, a cascader (logging to `log_name`)
    /// of brand_products(), and the brand announced: a fan-out of `children`.
    std::unique_ptr<WorkerProcess> fan_out(std::int64_t children, const std::string& brand,
                                           const std::string& log_name) {
        brand_with_products(1, brand, 1, children);
        auto cascader = start("kt-cascader", log_name, {"--cascade", brand_products()});
        announce(brands(), {"1"});
        return cascader;
    }

    /// Produces instant messages for `ids` on `topic` with the application library.
    void announce(const std::string& topic, const std::vector<std::string>& ids) {
        app::PublisherOptions options;
        options.kafka = test::broker_options();
        options.kafka.brokers = brokers();
        app::Publisher publisher(std::move(options));
        publisher.queue(topic, ids);
        ASSERT_EQ(publisher.flush(), ids.size());
    }

    /// `_source` of document `id` in index `alias`, nullopt when absent.
    std::optional<json> document(const std::string& alias, const std::string& id) {
        httplib::Client client(test::es_url());
        const auto res = client.Get("/" + alias + "/_doc/" + id);
        if (!res || res->status != 200) return std::nullopt;
        return json::parse(res->body).value("_source", json());
    }
    /// How many documents of `alias` have the string `field` equal to `value` (its `.keyword`
    /// sub-field, which dynamic mapping adds: the text field itself is analysed).
    std::int64_t count_where(const std::string& alias, const std::string& field,
                             const std::string& value) {
        httplib::Client client(test::es_url());
        (void)client.Post("/" + alias + "/_refresh", "", "application/json");
        const auto res = client.Post(
            "/" + alias + "/_count",
            json{{"query", {{"term", {{field + ".keyword", value}}}}}}.dump(), "application/json");
        if (!res || res->status != 200) return -1;
        return json::parse(res->body).value("count", -1);
    }

    /// Messages on `topic` so far (sum of the partitions' high watermarks).
    std::int64_t messages_on(const std::string& topic) {
        kafka::Options options = test::broker_options();
        options.brokers = brokers();
        kafka::Admin admin(options);
        std::int64_t total = 0;
        for (std::int32_t p = 0; p < 4; ++p) total += admin.query_watermarks(topic, p, 10s).high;
        return total;
    }

private:
    [[nodiscard]] std::string config_text() const {
        auto config = this->config();
        config.sections = fmt::format(R"(indexes:
  {0}_products:
    query: |
      SELECT p.id, jsonb_build_object('title', p.title, 'brand', b.name) AS doc
      FROM {0}_products p LEFT JOIN {0}_brands b ON b.id = p.brand_id
      WHERE p.id = ANY($1::bigint[])
    batch_wait: 100ms
  {0}_variants:
    query: |
      SELECT v.id, jsonb_build_object('sku', v.sku, 'brand', b.name) AS doc
      FROM {0}_variants v JOIN {0}_products p ON p.id = v.product_id
      LEFT JOIN {0}_brands b ON b.id = p.brand_id
      WHERE v.id = ANY($1::bigint[])
    batch_wait: 100ms
delayers:
  {0}_later: {{ delay: 1h, target: {0}_products }}
  {0}_delay: {{ delay: 2s, target: {0}_products, next: {0}_later }}
cascades:
  {0}_brand_products:
    topic: {0}_brands
    query: SELECT id FROM {0}_products WHERE brand_id = ANY($1::bigint[])
    target: {0}_products
    batch_wait: 100ms
  {0}_product_variants:
    topic: {0}_products
    query: SELECT id FROM {0}_variants WHERE product_id = ANY($1::bigint[])
    target: {0}_variants
    batch_wait: 100ms
)",
                                      name());
        return config.yaml();
    }
};

std::vector<std::string> id_range(std::int64_t from, std::int64_t to) {
    std::vector<std::string> out;
    for (auto i = from; i <= to; ++i) out.push_back(std::to_string(i));
    return out;
}

/// Peak resident memory of a process in KiB (VmHWM), 0 when unknown.
std::int64_t peak_rss_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("VmHWM:")) return std::stoll(line.substr(6));
    }
    return 0;
}

TEST(CascaderE2e, RenamingABrandReindexesExactlyItsProducts) {
    Shop shop;
    shop.brand_with_products(1, "Acme", 1, 50);
    shop.brand_with_products(2, "Globex", 51, 100);
    auto indexer = shop.start("kt-indexer", "indexer", {"--index", shop.products()});
    shop.announce(shop.products(), id_range(1, 100));
    ASSERT_TRUE(test::wait_until(
        [&] { return shop.count_where(shop.products(), "brand", "Acme") == 50; }, kDeadline))
        << indexer->log();

    test::TopicReader product_messages(shop.products());
    ASSERT_TRUE(product_messages.wait_assigned(kDeadline));
    auto cascader = shop.start("kt-cascader", "cascader", {"--cascade", shop.brand_products()});
    const auto port = test::wait_status_port(*cascader, kDeadline);
    ASSERT_TRUE(port.has_value()) << cascader->log();
    shop.exec("UPDATE " + shop.brands() + " SET name = 'Acme Renamed' WHERE id = 1");
    shop.announce(shop.brands(), {"1"});

    // The batch's line, whole enough that "150 child id(s)" or "11 parent id(s)" cannot match.
    ASSERT_TRUE(cascader->wait_for_log(
        "(s): 1 parent id(s), 50 child id(s) to " + shop.products() + ", 0 dead", kDeadline))
        << cascader->log();
    ASSERT_TRUE(test::wait_until(
        [&] { return shop.count_where(shop.products(), "brand", "Acme Renamed") == 50; },
        kDeadline))
        << cascader->log() << indexer->log();
    EXPECT_EQ(shop.count_where(shop.products(), "brand", "Globex"), 50);
    EXPECT_EQ(shop.document(shop.products(), "7"),
              (json{{"title", "p7"}, {"brand", "Acme Renamed"}}));

    // Exactly brand 1's products were sent, each once, marked as cascaded and keyed by id. The
    // batch's children were acknowledged before its line: the topic holds all there will be,
    // the 100 announced and the 50 cascaded.
    EXPECT_EQ(shop.messages_on(shop.products()), 100 + 50);
    const auto& seen = product_messages.read_until(100 + 50, kDeadline);
    EXPECT_EQ(seen.size(), 100U + 50U);
    std::multiset<std::int64_t> cascaded;
    for (const auto& r : seen) {
        const json value = json::parse(r.message.payload);
        if (!value.value("cascaded", false)) continue;
        const auto id = value.at("id").get<std::int64_t>();
        EXPECT_EQ(r.message.key, std::optional<std::string>(std::to_string(id)));
        cascaded.insert(id);
    }
    std::multiset<std::int64_t> acme;
    for (std::int64_t id = 1; id <= 50; ++id) acme.insert(id);
    EXPECT_EQ(cascaded, acme);
    EXPECT_EQ(cascader->count_in_log("child id(s)"), 1U) << cascader->log();

    // One batch of one parent message with 50 children: the counters and one fan-out
    // observation of 50 (bucket le=64, not le=16).
    const auto [status, metrics] = test::http_get(*port, "/metrics");
    ASSERT_EQ(status, 200) << metrics;
    const std::string cascade = "cascade=\"" + shop.brand_products() + "\"";
    const auto value = [&metrics = metrics](const std::string& series) {
        return test::metric_value(metrics, series).value_or(-1);
    };
    EXPECT_EQ(value("kt_cascader_parents_total{" + cascade + "}"), 1) << metrics;
    EXPECT_EQ(value("kt_cascader_children_total{" + cascade + "}"), 50) << metrics;
    EXPECT_EQ(value("kt_cascader_batches_total{" + cascade + ",outcome=\"committed\"}"), 1)
        << metrics;
    EXPECT_EQ(value("kt_cascader_fanout_children_count{" + cascade + "}"), 1) << metrics;
    EXPECT_EQ(value("kt_cascader_fanout_children_sum{" + cascade + "}"), 50) << metrics;
    EXPECT_EQ(value("kt_cascader_fanout_children_bucket{" + cascade + ",le=\"16\"}"), 0) << metrics;
    EXPECT_EQ(value("kt_cascader_fanout_children_bucket{" + cascade + ",le=\"64\"}"), 1) << metrics;

    EXPECT_TRUE(test::stop_cleanly({cascader.get()}, kExitDeadline));
    EXPECT_TRUE(test::stop_cleanly({indexer.get()}, kExitDeadline));
}

TEST(CascaderE2e, ATwoLevelChainPropagates) {
    Shop shop;
    shop.brand_with_products(1, "Initech", 1, 3);
    shop.exec("INSERT INTO " + shop.variants() + " SELECT g, 'sku-' || g, 1 + g % 3 " +
              "FROM generate_series(1, 9) g");
    auto indexer = shop.start("kt-indexer", "indexer");
    auto cascader = shop.start("kt-cascader", "cascader");
    shop.exec("UPDATE " + shop.brands() + " SET name = 'Initrode' WHERE id = 1");
    shop.announce(shop.brands(), {"1"});
    // brand 1 → products 1..3 → variants 1..9: nothing but the brand id was announced.
    ASSERT_TRUE(test::wait_until(
        [&] { return shop.count_where(shop.variants(), "brand", "Initrode") == 9; }, kDeadline))
        << cascader->log() << indexer->log();
    EXPECT_EQ(shop.document(shop.variants(), "4"), (json{{"sku", "sku-4"}, {"brand", "Initrode"}}));
    // The products' own documents come from the indexer reading the same topic as the second
    // cascade: they may arrive after the variants'.
    EXPECT_TRUE(test::wait_until(
        [&] { return shop.count_where(shop.products(), "brand", "Initrode") == 3; }, kDeadline))
        << indexer->log();
    EXPECT_TRUE(test::stop_cleanly({cascader.get(), indexer.get()}, kExitDeadline));
}

TEST(CascaderE2e, AFanOutOf200000ChildrenStaysUnder64MiB) {
    Shop shop;
    constexpr std::int64_t kChildren = 200000;
    auto cascader = shop.fan_out(kChildren, "Huge", "cascader");
    ASSERT_TRUE(cascader->wait_for_log("200000 child id(s)", 120s)) << cascader->log();
    EXPECT_EQ(shop.messages_on(shop.products()), kChildren);
    const std::int64_t peak_kib = peak_rss_kib(cascader->pid());
    std::cout << "kt-cascader peak resident memory after a fan-out of " << kChildren
              << " children: " << peak_kib / 1024 << " MiB\n";
    EXPECT_GT(peak_kib, 0);
    // AddressSanitizer's shadow memory and quarantine multiply a process's resident memory:
    // in a sanitizer build (scripts/test-sanitize.sh) the fan-out is checked, not the bound.
    if (!kAddressSanitizer) {
        EXPECT_LT(peak_kib, 64 * 1024);
    }
    EXPECT_TRUE(test::stop_cleanly({cascader.get()}, kExitDeadline));
}

TEST(CascaderE2e, SigkillDuringAFanOutLosesNoChild) {
    Shop shop;
    constexpr std::int64_t kChildren = 100000;
    auto first = shop.fan_out(kChildren, "Killed", "first");
    ASSERT_TRUE(
        test::wait_until([&] { return shop.messages_on(shop.products()) > 0; }, kDeadline, 5ms))
        << first->log();
    first->kill();
    ASSERT_EQ(first->wait_exit(kExitDeadline), 128 + SIGKILL);
    const std::int64_t before = shop.messages_on(shop.products());
    ASSERT_LT(before, kChildren) << "the fan-out finished before the kill; the test proves nothing";
    EXPECT_EQ(first->count_in_log("child id(s)"), 0U) << first->log();

    // The parent offset was not committed: a new cascader sends the whole fan-out again.
    auto second = shop.start("kt-cascader", "second", {"--cascade", shop.brand_products()});
    ASSERT_TRUE(second->wait_for_log("100000 child id(s)", 120s)) << second->log();
    test::TopicReader reader(shop.products());
    std::set<std::string> ids;
    for (const auto& r :
         reader.read_until(static_cast<std::size_t>(before + kChildren), kDeadline)) {
        ids.insert(json::parse(r.message.payload).at("id").dump());
    }
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(kChildren));
    EXPECT_TRUE(test::stop_cleanly({second.get()}, kExitDeadline));
}

// Kafka refusing produce requests is a fault only kt-devbroker makes: this test runs on a private
// one, also when the stack runs Apache Kafka.
TEST(CascaderE2eOnDevbroker, SigtermWhileKafkaRefusesTheChildrenExitsInTimeAndCommitsNothing) {
    test::PrivateBroker broker;  // its produce requests fail; no other test may see that
    Shop shop(broker.brokers(), broker.control());
    constexpr std::int64_t kChildren = 100;
    shop.brand_with_products(1, "Refused", 1, kChildren);
    shop.announce(shop.brands(), {"1"});
    // Every produce request from now on fails with a retriable error: the children stay queued
    // and their acknowledgements never come (librdkafka would retry for 5 minutes).
    broker.post("/errors",
                {{"api", "Produce"}, {"error", "NOT_ENOUGH_REPLICAS"}, {"count", 100000}});
    auto first = shop.start("kt-cascader", "first", {"--cascade", shop.brand_products()});
    ASSERT_TRUE(first->wait_for_log("not acknowledged after", kDeadline)) << first->log();

    EXPECT_TRUE(test::stop_cleanly({first.get()}, kExitDeadline));
    EXPECT_EQ(first->count_in_log("nothing committed"), 1U) << first->log();
    EXPECT_EQ(first->count_in_log("child id(s) to"), 0U) << first->log();
    EXPECT_EQ(shop.messages_on(shop.products()), 0);

    // Kafka accepts produce requests again: the parent offset was not committed, so a new
    // cascader sends every child.
    broker.post("/errors/clear", {{"api", "Produce"}});
    auto second = shop.start("kt-cascader", "second", {"--cascade", shop.brand_products()});
    ASSERT_TRUE(second->wait_for_log(": 1 parent id(s), 100 child id(s) to ", kDeadline))
        << second->log();
    std::set<std::string> ids;
    for (const auto& m :
         test::read_topic(shop.products(), kChildren, kDeadline, broker.brokers())) {
        ids.insert(json::parse(m.payload).at("id").dump());
    }
    std::set<std::string> expected;
    for (const auto& id : id_range(1, kChildren)) expected.insert(id);
    EXPECT_EQ(ids, expected);
    EXPECT_TRUE(test::stop_cleanly({second.get()}, kExitDeadline));
}

TEST(CascaderE2e, PoisonAndRejectedParentsAreDeadLetteredAndTheBatchGoesOn) {
    Shop shop;
    shop.brand_with_products(1, "Good", 1, 3);
    {
        kafka::Producer producer(test::broker_options());
        for (const std::string v : {"not json", R"({"id": "abc"})", R"({"id": 1})"}) {
            producer.produce(kafka::Record{shop.brands(), std::nullopt, v, {}, 0, 0});
        }
        ASSERT_TRUE(producer.flush(30s).ok());
    }
    auto cascader = shop.start("kt-cascader", "cascader", {"--cascade", shop.brand_products()});
    ASSERT_TRUE(cascader->wait_for_log("3 child id(s)", kDeadline)) << cascader->log();
    const auto dead = test::read_topic(shop.brands() + ".dlq", 2, kDeadline);
    ASSERT_EQ(dead.size(), 2U) << cascader->log();
    std::set<std::string> payloads;
    for (const auto& m : dead) {
        payloads.insert(m.payload);
        EXPECT_EQ(m.header("kt.cascade"), std::optional<std::string>(shop.brand_products()));
        EXPECT_TRUE(m.header("kt.error").has_value());
    }
    EXPECT_EQ(payloads, (std::set<std::string>{"not json", R"({"id": "abc"})"}));
    EXPECT_TRUE(test::stop_cleanly({cascader.get()}, kExitDeadline));
}

TEST(CascaderE2e, QueryOnAMissingTableIsReportedAtStartAndRetriedUntilItExists) {
    Shop shop;
    shop.exec("DROP TABLE " + shop.products());
    auto cascader = shop.start("kt-cascader", "cascader", {"--cascade", shop.brand_products()});
    const auto port = test::wait_status_port(*cascader, kDeadline);
    ASSERT_TRUE(port.has_value()) << cascader->log();

    // Before any parent arrives: a clear log line naming the table, not ready, still running.
    ASSERT_TRUE(
        cascader->wait_for_log("relation \"" + shop.products() + "\" does not exist", kDeadline, 2))
        << cascader->log();
    EXPECT_TRUE(cascader->running()) << cascader->log();
    const auto [status, body] = test::http_get(*port, "/readyz");
    EXPECT_EQ(status, 503) << body;
    EXPECT_THAT(body, ::testing::HasSubstr(shop.products()));

    // A migration creates the table: the same process goes on and cascades.
    shop.exec(
        fmt::format("CREATE TABLE {} (id bigint PRIMARY KEY, title text NOT NULL, "
                    "brand_id bigint NOT NULL)",
                    shop.products()));
    shop.brand_with_products(1, "Acme", 1, 3);
    shop.announce(shop.brands(), {"1"});
    ASSERT_TRUE(cascader->wait_for_log("3 child id(s)", kDeadline)) << cascader->log();
    EXPECT_TRUE(test::readyz_answers(*port, 200, kDeadline));
    EXPECT_TRUE(test::stop_cleanly({cascader.get()}, kExitDeadline));
}

/// Checks that `m` is the delay envelope of `id` for the products topic, created between
/// `from` and `to` (unix seconds).
void expect_envelope(const test::ReadMessage& m, const Shop& shop, int id, double from, double to) {
    EXPECT_EQ(m.key, std::optional<std::string>(std::to_string(id)));
    const json envelope = json::parse(m.payload);
    EXPECT_EQ(envelope.size(), 3U) << envelope;
    EXPECT_EQ(envelope.value("payload", json()), (json{{"id", id}})) << envelope;
    EXPECT_EQ(envelope.value("topic", json()), shop.products()) << envelope;
    const double created_at = envelope.value("created_at", 0.0);
    EXPECT_GE(created_at, from) << envelope;
    EXPECT_LE(created_at, to) << envelope;
}

TEST(AppPublisherE2e, InstantAndDelayMessagesReachTheIndex) {
    Shop shop;
    shop.brand_with_products(1, "Lib", 1, 2);
    auto indexer = shop.start("kt-indexer", "indexer", {"--index", shop.products()});
    auto delayer = shop.start("kt-delayer", "delayer", {"--delayer", shop.delay_topic()});
    app::PublisherOptions options =
        app::publisher_options([&] { return config::load_file(shop.config_path()); }());
    app::Publisher publisher(std::move(options));
    publisher.queue(shop.products(), "1");
    ASSERT_EQ(publisher.flush(), 1U);
    ASSERT_TRUE(test::wait_until([&] { return shop.document(shop.products(), "1").has_value(); },
                                 kDeadline))
        << indexer->log();

    // The indexer is consuming: a delay message that went to the model topic would be indexed
    // within a few hundred milliseconds, well before it is due (2 s after created_at).
    const double before = test::unix_now();
    publisher.delay(shop.products(), "2");  // as if the instant message was never sent
    ASSERT_EQ(publisher.flush(), 1U);
    const double after = test::unix_now();
    int checked_early = 0;
    ASSERT_TRUE(test::wait_until(
        [&] {
            const bool indexed = shop.document(shop.products(), "2").has_value();
            if (test::unix_now() < before + 2.0) {
                EXPECT_FALSE(indexed) << "indexed before it was due";
                ++checked_early;
            }
            return indexed;
        },
        kDeadline))
        << delayer->log() << indexer->log();
    EXPECT_GT(checked_early, 0) << "the publisher's flush took longer than the delay";
    EXPECT_EQ(shop.document(shop.products(), "2"), (json{{"title", "p2"}, {"brand", "Lib"}}));

    // The delay message itself: an envelope on the first delay stage, keyed by id.
    const auto envelopes = test::read_topic(shop.delay_topic(), 1, kDeadline);
    ASSERT_EQ(envelopes.size(), 1U);
    expect_envelope(envelopes[0], shop, 2, before, after);
    EXPECT_TRUE(test::stop_cleanly({delayer.get(), indexer.get()}, kExitDeadline));
}

TEST(AppPublisherE2e, DestroyingThePublisherDeliversWhatWasNotFlushed) {
    Shop shop;
    const auto ids = id_range(1, 20);
    {
        app::PublisherOptions options;
        options.kafka = test::broker_options();
        app::Publisher publisher(std::move(options));
        publisher.queue(shop.products(), ids);
    }  // no flush(): the destructor's
    EXPECT_EQ(shop.messages_on(shop.products()), 20);
    std::set<std::string> keys;
    for (const auto& m : test::read_topic(shop.products(), ids.size(), kDeadline)) {
        keys.insert(m.key.value_or(""));
    }
    EXPECT_EQ(keys, std::set<std::string>(ids.begin(), ids.end()));
}

TEST(AppPublisherE2e, KtProduceDelaySendsAnEnvelopeToTheFirstStageThatTheDelayerReleases) {
    Shop shop;
    shop.brand_with_products(1, "Cli", 1, 3);
    const double before = test::unix_now();
    const auto sent = test::run_command(std::string(KT_BINARY_DIR) + "/cmd/kt produce --config " +
                                        shop.config_path() + " " + shop.products() + " 3 --delay");
    const double after = test::unix_now();
    ASSERT_EQ(sent.exit_code, 0) << sent.output;
    EXPECT_THAT(sent.output,
                ::testing::HasSubstr("produced 1 delay envelope(s) to " + shop.delay_topic()));
    const auto envelopes = test::read_topic(shop.delay_topic(), 1, kDeadline);
    ASSERT_EQ(envelopes.size(), 1U);
    expect_envelope(envelopes[0], shop, 3, before, after);
    EXPECT_EQ(shop.messages_on(shop.products()), 0) << "an instant message was sent too";
    EXPECT_EQ(shop.messages_on(shop.later_delay_topic()), 0) << "sent to the later stage";

    // kt-delayer releases it when due and kt-indexer indexes the row.
    auto indexer = shop.start("kt-indexer", "indexer", {"--index", shop.products()});
    auto delayer = shop.start("kt-delayer", "delayer", {"--delayer", shop.delay_topic()});
    ASSERT_TRUE(test::wait_until(
        [&] {
            return shop.document(shop.products(), "3") == json{{"title", "p3"}, {"brand", "Cli"}};
        },
        kDeadline))
        << delayer->log() << indexer->log();
    EXPECT_EQ(delayer->count_in_log("1 released"), 1U) << delayer->log();
    EXPECT_TRUE(test::stop_cleanly({delayer.get(), indexer.get()}, kExitDeadline));
}

}  // namespace
}  // namespace kt::workers
