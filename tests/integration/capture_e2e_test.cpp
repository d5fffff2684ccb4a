// kt-capture end to end: the real executable reading a pgoutput slot of the stack's PostgreSQL
// and producing ids on the stack's Kafka; rows changed with plain SQL, no application message.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>
#include <thread>
#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <stop_token>
#include <string>
#include <vector>

#include "lib/es/curl_transport.hpp"
#include "lib/es/index_scanner.hpp"
#include "lib/es/options.hpp"
#include "lib/non_copyable.hpp"
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
using ::testing::HasSubstr;

constexpr auto kDeadline = 60s;

/// brands ← products → tags under unique names, a products index whose query reads all three,
/// its topic, and (unless `kt capture init` is to make them) a publication and slot.
class CapturedShop : private NonCopyable {
public:
    explicit CapturedShop(bool set_up_slot = true) : f_("capt") {
        f_.create_tables(
            exec_text("CREATE TABLE {0}_brands (id bigint PRIMARY KEY, name text, country text);"
                      "ALTER TABLE {0}_brands REPLICA IDENTITY FULL;"
                      "CREATE TABLE {0}_products (id bigint PRIMARY KEY, title text,"
                      "  brand_id bigint, stock int);"
                      "CREATE TABLE {0}_tags (id bigint PRIMARY KEY, product_id bigint, name text);"
                      "ALTER TABLE {0}_tags REPLICA IDENTITY FULL"),
            {f_.name("brands"), f_.name("products"), f_.name("tags")});
        if (set_up_slot) {
            exec("CREATE PUBLICATION {0} FOR TABLE {0}_brands, {0}_products, {0}_tags");
            exec("SELECT pg_create_logical_replication_slot('{0}', 'pgoutput')");
        }
        f_.create_topic_with_dead_letters(topic(), 4);
        f_.delete_indexes_at_end(test::es_url(), topic() + "_*");
        test::KtConfig config = f_.config();
        config.sections = exec_text(R"(indexes:
  {0}_products:
    query: |
      SELECT p.id, jsonb_build_object('title', p.title, 'brand', b.name,
        'tags', (SELECT array_agg(t.name) FROM {0}_tags t WHERE t.product_id = p.id)) AS doc
      FROM {0}_products p LEFT JOIN {0}_brands b ON b.id = p.brand_id
      WHERE p.id = ANY($1::bigint[])
    scan_query: |
      SELECT p.id, jsonb_build_object('title', p.title, 'brand', b.name,
        'tags', (SELECT array_agg(t.name) FROM {0}_tags t WHERE t.product_id = p.id)) AS doc
      FROM {0}_products p LEFT JOIN {0}_brands b ON b.id = p.brand_id
    batch_wait: 100ms
capture:
  slot: {0}
  publication: {0}
  heartbeat: 1s
)");
        f_.write_config(config);
    }
    /// The slot and publication go before the fixture drops the tables.
    ~CapturedShop() {
        try {
            exec("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots "
                 "WHERE slot_name = '{0}' AND active_pid IS NOT NULL");
            (void)test::wait_until([&] { return !slot_active(); }, 10s);
            exec("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                 "WHERE slot_name = '{0}'");
            exec("DROP PUBLICATION IF EXISTS {0}");
        } catch (...) {
        }
    }

    [[nodiscard]] std::string topic() const { return f_.name("products"); }
    [[nodiscard]] const std::string& prefix() const { return f_.name(); }
    /// `sql` with every `{0}` replaced by the tables' prefix.
    [[nodiscard]] std::string exec_text(const std::string& sql) const {
        return fmt::format(fmt::runtime(sql), f_.name());
    }
    pqxx::result exec(const std::string& sql) {
        pqxx::nontransaction tx(db());
        return tx.exec(exec_text(sql));
    }
    bool slot_active() {
        const auto rows = exec("SELECT active FROM pg_replication_slots WHERE slot_name = '{0}'");
        return !rows.empty() && rows[0][0].as<bool>();
    }
    std::string confirmed_flush() {
        return exec("SELECT confirmed_flush_lsn FROM pg_replication_slots "
                    "WHERE slot_name = '{0}'")[0][0]
            .c_str();
    }
    std::unique_ptr<WorkerProcess> start_capture() { return start("kt-capture"); }
    std::unique_ptr<WorkerProcess> start(const std::string& binary) {
        return f_.start_worker(binary, binary + "_" + std::to_string(++started_));
    }
    test::CommandResult kt(const std::string& args) { return f_.kt(args); }
    /// `_source` of document `id` of the index, nullopt when absent.
    std::optional<json> document(const std::string& id) {
        httplib::Client client(test::es_url());
        const auto res = client.Get("/" + topic() + "/_doc/" + id);
        if (!res || res->status != 200) return std::nullopt;
        return json::parse(res->body).value("_source", json());
    }

private:
    /// This test's own connection (opened on first use).
    pqxx::connection& db() {
        if (!db_) db_.emplace(f_.postgres_url());
        return *db_;
    }

    test::Fixture f_;
    std::optional<pqxx::connection> db_;
    int started_ = 0;
};

/// Inserts products 1..`rows`, one per transaction, on its own connection, pausing 5 ms after
/// every `pace` rows (a steady writer, not a synchronisation).
class ProductWriter : private NonCopyable {
public:
    ProductWriter(const CapturedShop& shop, int rows, int pace)
        : thread_([this, sql = shop.exec_text("INSERT INTO {0}_products VALUES ({{}}, 't', "
                                              "NULL, 0)"),
                   rows, pace] {
              pqxx::connection conn(test::postgres_url());
              for (int id = 1; id <= rows; ++id) {
                  pqxx::nontransaction tx(conn);
                  tx.exec(fmt::format(fmt::runtime(sql), id));
                  written_ = id;
                  if (id % pace == 0) std::this_thread::sleep_for(5ms);
              }
          }) {}
    ~ProductWriter() { join(); }

    /// Waits until `more` rows beyond those written now are in (or all of them are).
    [[nodiscard]] bool wait_for_more(int more, int rows) {
        const int at = written_.load();
        return test::wait_until([&] { return written_.load() >= std::min(rows, at + more); },
                                kDeadline);
    }
    void join() {
        if (thread_.joinable()) thread_.join();
    }

private:
    std::atomic<int> written_{0};
    std::thread thread_;
};

/// Reads `reader` until the keys 1..`rows` all arrived (or the deadline passed); the ids of
/// those that did not.
std::vector<int> missing_ids(test::TopicReader& reader, int rows) {
    std::set<std::string> ids;
    (void)test::wait_until(
        [&] {
            for (const auto& m : reader.read_for(200ms)) ids.insert(*m.message.key);
            return ids.size() >= static_cast<std::size_t>(rows);
        },
        kDeadline);
    std::vector<int> lost;
    for (int id = 1; id <= rows; ++id) {
        if (ids.count(std::to_string(id)) == 0) lost.push_back(id);
    }
    return lost;
}

/// The ids of messages `from` onwards, checking each message's key and value on the way.
std::vector<std::string> ids_since(const std::vector<test::ReceivedMessage>& messages,
                                   std::size_t from) {
    std::vector<std::string> out;
    for (std::size_t i = from; i < messages.size(); ++i) {
        const auto& m = messages[i].message;
        const json value = json::parse(m.payload);
        const std::string id = std::to_string(value.at("id").get<std::int64_t>());
        EXPECT_EQ(m.key, std::optional<std::string>(id));
        out.push_back(id);
    }
    std::sort(out.begin(), out.end());
    return out;
}

TEST(CaptureE2e, RootParentAndChildChangesBecomeIdsOnTheIndexTopic) {
    CapturedShop shop;
    test::TopicReader reader(shop.topic());
    ASSERT_TRUE(reader.wait_assigned(kDeadline));
    auto capture = shop.start_capture();
    ASSERT_TRUE(capture->wait_for_log("streaming slot", kDeadline)) << capture->log();

    // Each step: the SQL, and the ids it must produce (exactly, nothing else).
    const std::vector<std::pair<std::string, std::vector<std::string>>> steps = {
        {"INSERT INTO {0}_products VALUES (10, 'desk', NULL, 1), (11, 'lamp', NULL, 1)",
         {"10", "11"}},
        // A brand with no products yet, then two products move to it.
        {"INSERT INTO {0}_brands VALUES (1, 'Acme', 'DE')", {}},
        {"UPDATE {0}_products SET brand_id = 1", {"10", "11"}},
        // A parent renamed: its products, through the association query.
        {"UPDATE {0}_brands SET name = 'ACME' WHERE id = 1", {"10", "11"}},
        // A column the query does not read (the brand's whole old row is at hand).
        {"UPDATE {0}_brands SET country = 'FR' WHERE id = 1", {}},
        // A child: its product, before and after it moves.
        {"INSERT INTO {0}_tags VALUES (1, 11, 'oak')", {"11"}},
        {"UPDATE {0}_tags SET product_id = 10 WHERE id = 1", {"10", "11"}},
        {"DELETE FROM {0}_tags WHERE id = 1", {"10"}},
        // A key change: the old and the new id.
        {"UPDATE {0}_products SET id = 12 WHERE id = 10", {"10", "12"}},
        {"DELETE FROM {0}_products WHERE id = 12", {"12"}},
    };
    std::size_t seen = 0;
    for (const auto& [sql, want] : steps) {
        shop.exec(sql);
        // A marker after each step: a product of its own, so the step's ids are all in by then.
        shop.exec("INSERT INTO {0}_products VALUES (999, 'marker', NULL, 0)");
        shop.exec("DELETE FROM {0}_products WHERE id = 999");
        const auto& got = reader.read_until(seen + want.size() + 2, kDeadline);
        ASSERT_GE(got.size(), seen + want.size() + 2) << sql << "\n" << capture->log();
        auto ids = ids_since(got, seen);
        ASSERT_EQ(std::count(ids.begin(), ids.end(), "999"), 2) << sql;
        ids.erase(std::remove(ids.begin(), ids.end(), "999"), ids.end());
        EXPECT_EQ(ids, want) << sql;
        seen = got.size();
    }
    // Nothing beyond.
    EXPECT_EQ(reader.read_for(1s).size(), seen);

    // SIGTERM: exits 0 in time, having confirmed the slot past everything above.
    const std::string before_exit = shop.exec("SELECT pg_current_wal_lsn()")[0][0].c_str();
    capture->terminate();
    EXPECT_EQ(capture->wait_exit(10s), std::optional<int>(0)) << capture->log();
    pqxx::connection conn(test::postgres_url());
    pqxx::nontransaction tx(conn);
    EXPECT_TRUE(tx.exec1("SELECT '" + shop.confirmed_flush() + "'::pg_lsn >= '" + before_exit +
                         "'::pg_lsn")[0]
                    .as<bool>())
        << shop.confirmed_flush() << " < " << before_exit;
}

TEST(CaptureE2e, SigkillAtAnyMomentLosesNoChange) {
    CapturedShop shop;
    test::TopicReader reader(shop.topic());
    ASSERT_TRUE(reader.wait_assigned(kDeadline));
    // A writer inserting one product per transaction while kt-capture is killed and started
    // again three times.
    constexpr int kRows = 600;
    ProductWriter writer(shop, kRows, 2);
    for (int round = 0; round < 3; ++round) {
        auto capture = shop.start_capture();
        ASSERT_TRUE(capture->wait_for_log("streaming slot", kDeadline)) << capture->log();
        ASSERT_TRUE(writer.wait_for_more(100, kRows));
        capture->kill();
        (void)capture->wait_exit(10s);
    }
    writer.join();
    auto capture = shop.start_capture();
    const std::vector<int> lost = missing_ids(reader, kRows);
    EXPECT_TRUE(lost.empty()) << lost.size() << " lost, e.g. " << lost.front();
    std::cout << "capture SIGKILL x3 under a writer: " << kRows << " rows, "
              << reader.messages().size() - static_cast<std::size_t>(kRows) << " duplicates, "
              << lost.size() << " lost\n";
    capture->terminate();
    EXPECT_EQ(capture->wait_exit(10s), std::optional<int>(0)) << capture->log();
}

TEST(CaptureE2e, SigtermWhileALargeTransactionStreamsExitsZeroAndTheRestartLosesNothing) {
    CapturedShop shop;
    test::TopicReader reader(shop.topic());
    ASSERT_TRUE(reader.wait_assigned(kDeadline));
    auto capture = shop.start_capture();
    ASSERT_TRUE(capture->wait_for_log("streaming slot", kDeadline)) << capture->log();
    constexpr int kRows = 200'000;
    shop.exec(fmt::format("INSERT INTO {{0}}_products SELECT g, 't', NULL, 0 "
                          "FROM generate_series(1, {}) g",
                          kRows));
    // SIGTERM as soon as the transaction's first ids reach the topic, the rest still to come:
    // kt-capture abandons the transaction in hand, confirms only what Kafka acknowledged (not
    // this transaction, which it did not finish), and exits 0 in time.
    ASSERT_FALSE(reader.read_until(1, kDeadline).empty());
    const auto asked = std::chrono::steady_clock::now();
    capture->terminate();
    EXPECT_EQ(capture->wait_exit(10s), std::optional<int>(0)) << capture->log();
    const auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - asked);
    const std::size_t before_restart = reader.read_for(500ms).size();
    // The slot replays the transaction to the next kt-capture: every id arrives.
    auto again = shop.start_capture();
    const std::vector<int> lost = missing_ids(reader, kRows);
    EXPECT_TRUE(lost.empty()) << lost.size() << " lost, e.g. " << lost.front();
    std::cout << "capture SIGTERM while a " << kRows << "-row transaction streamed: exited in "
              << took.count() << " s with " << before_restart << " ids sent; "
              << reader.messages().size() - static_cast<std::size_t>(kRows)
              << " duplicates after the restart, " << lost.size() << " lost\n";
    again->terminate();
    EXPECT_EQ(again->wait_exit(10s), std::optional<int>(0)) << again->log();
}

TEST(CaptureE2e, AStandbyReplicaTakesOverWhenTheStreamingOneDies) {
    CapturedShop shop;
    test::TopicReader reader(shop.topic());
    ASSERT_TRUE(reader.wait_assigned(kDeadline));
    constexpr int kRows = 400;
    ProductWriter writer(shop, kRows, 1);
    // Two replicas: whichever streams is killed, a fresh standby started, three times.
    std::vector<std::unique_ptr<WorkerProcess>> replicas;
    replicas.push_back(shop.start("kt-capture"));
    ASSERT_TRUE(replicas[0]->wait_for_log("streaming slot", kDeadline)) << replicas[0]->log();
    for (int round = 0; round < 3; ++round) {
        replicas.push_back(shop.start("kt-capture"));
        WorkerProcess& standby = *replicas.back();
        ASSERT_TRUE(standby.wait_for_log("another reader holds it", kDeadline)) << standby.log();
        // Waiting for its turn is ready: it takes over without a restart.
        const auto port = test::wait_status_port(standby, kDeadline);
        ASSERT_TRUE(port.has_value()) << standby.log();
        EXPECT_TRUE(test::wait_until(
            [&] { return test::http_get(*port, "/readyz").first == 200; }, 10s))
            << test::http_get(*port, "/readyz").second;
        ASSERT_TRUE(writer.wait_for_more(40, kRows));
        WorkerProcess& streaming = *replicas[replicas.size() - 2];
        const auto killed = std::chrono::steady_clock::now();
        streaming.kill();
        ASSERT_TRUE(standby.wait_for_log("streaming slot", kDeadline)) << standby.log();
        const auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed);
        std::cout << "capture standby took over in " << took.count() << " s\n";
        EXPECT_LT(took.count(), 10.0);
    }
    writer.join();
    const std::vector<int> lost = missing_ids(reader, kRows);
    EXPECT_TRUE(lost.empty()) << lost.size() << " lost, e.g. " << lost.front();
    replicas.back()->terminate();
    EXPECT_EQ(replicas.back()->wait_exit(10s), std::optional<int>(0));
}

TEST(CaptureE2e, InitBuildsTheIndexAndPlainSqlChangesReachItWithNoApplicationMessage) {
    CapturedShop shop(/*set_up_slot=*/false);
    shop.exec("INSERT INTO {0}_brands VALUES (1, 'Acme', 'DE');"
              "INSERT INTO {0}_products VALUES (10, 'desk', 1, 1), (11, 'lamp', NULL, 1)");
    const auto init = shop.kt("capture init");
    ASSERT_EQ(init.exit_code, 0) << init.output;
    EXPECT_NE(init.output.find("publication " + shop.prefix() + ": public." + shop.prefix() +
                               "_brands, public." + shop.prefix() + "_products, public." +
                               shop.prefix() + "_tags\n"),
              std::string::npos)
        << init.output;
    EXPECT_NE(init.output.find("replication slot " + shop.prefix() + ": created"),
              std::string::npos);
    ASSERT_TRUE(shop.document("10").has_value()) << init.output;
    EXPECT_EQ(shop.document("10")->at("brand"), "Acme");

    auto capture = shop.start_capture();
    auto indexer = shop.start("kt-indexer");
    ASSERT_TRUE(capture->wait_for_log("streaming slot", kDeadline)) << capture->log();
    shop.exec("UPDATE {0}_brands SET name = 'ACME' WHERE id = 1");
    shop.exec("INSERT INTO {0}_tags VALUES (1, 11, 'oak')");
    shop.exec("INSERT INTO {0}_products VALUES (12, 'chair', 1, 1)");
    shop.exec("DELETE FROM {0}_products WHERE id = 10");
    EXPECT_TRUE(test::wait_until(
        [&] {
            const auto lamp = shop.document("11");
            const auto chair = shop.document("12");
            return !shop.document("10") && lamp && lamp->value("tags", json()) == json{"oak"} &&
                   chair && chair->value("brand", "") == "ACME";
        },
        kDeadline))
        << capture->log() << indexer->log();

    capture->terminate();
    indexer->terminate();
    EXPECT_EQ(capture->wait_exit(10s), std::optional<int>(0));
    EXPECT_EQ(indexer->wait_exit(10s), std::optional<int>(0));
    const auto drop = shop.kt("capture drop");
    EXPECT_EQ(drop.exit_code, 0) << drop.output;
    EXPECT_NE(drop.output.find("dropped replication slot " + shop.prefix()), std::string::npos)
        << drop.output;
    EXPECT_NE(drop.output.find("dropped publication " + shop.prefix()), std::string::npos);
    EXPECT_EQ(shop.kt("capture drop").output, "nothing to drop\n");
}

/// Changes the shop in one transaction per step until stopped, on its own connection, pausing
/// 2 ms between steps (a steady writer, not a synchronisation). Mixed: inserts products (some
/// with a tag), updates their title and brand, renames brands 1..5, deletes products, adds,
/// moves and deletes tags. `inserts_only`: each step inserts the next product, nothing else.
class ShopWriter : private NonCopyable {
public:
    ShopWriter(const CapturedShop& shop, bool inserts_only)
        : thread_([this, &shop, inserts_only](std::stop_token stop) {
              pqxx::connection conn(test::postgres_url());
              std::mt19937 random(19);
              const auto pick = [&](int below) {
                  return std::uniform_int_distribution<int>(1, std::max(below - 1, 1))(random);
              };
              int next_product = 1;
              int next_tag = 1;
              for (int step = 1; !stop.stop_requested(); ++step) {
                  const int kind = inserts_only ? 0 : static_cast<int>(random() % 10);
                  std::string sql;
                  if (kind <= 3) {
                      sql = fmt::format("INSERT INTO {{0}}_products VALUES ({}, 't{}', {}, 1)",
                                        next_product, step, kind == 3 ? "NULL" : "1");
                      if (kind == 0 && !inserts_only) {
                          sql += fmt::format("; INSERT INTO {{0}}_tags VALUES ({}, {}, 'new')",
                                             next_tag++, next_product);
                      }
                      ++next_product;
                  } else if (kind <= 5) {
                      sql = fmt::format("UPDATE {{0}}_products SET title = 'u{}', brand_id = {} "
                                        "WHERE id = {}",
                                        step, pick(6), pick(next_product));
                  } else if (kind == 6) {
                      sql = fmt::format("UPDATE {{0}}_brands SET name = 'b{}' WHERE id = {}",
                                        step, pick(6));
                  } else if (kind == 7) {
                      sql = fmt::format("DELETE FROM {{0}}_products WHERE id = {}",
                                        pick(next_product));
                  } else if (kind == 8) {
                      sql = fmt::format("INSERT INTO {{0}}_tags VALUES ({}, {}, 'tag{}')",
                                        next_tag++, pick(next_product), step);
                  } else {
                      sql = fmt::format("UPDATE {{0}}_tags SET product_id = {} WHERE id = {}; "
                                        "DELETE FROM {{0}}_tags WHERE id = {}",
                                        pick(next_product), pick(next_tag), pick(next_tag));
                  }
                  pqxx::work tx(conn);
                  tx.exec(shop.exec_text(sql));
                  tx.commit();
                  inserted_ = next_product - 1;
                  steps_ = step;
                  std::this_thread::sleep_for(2ms);
              }
          }) {}
    ~ShopWriter() { stop(); }

    /// Transactions committed so far.
    [[nodiscard]] int steps() const { return steps_.load(); }
    /// Products inserted so far (ids 1..inserted()).
    [[nodiscard]] int inserted() const { return inserted_.load(); }
    /// Waits until `more` transactions beyond those committed now are in.
    [[nodiscard]] bool wait_for_more(int more) {
        const int at = steps_.load();
        return test::wait_until([&] { return steps_.load() >= at + more; }, kDeadline);
    }
    /// Stops after the transaction in hand and waits for it.
    void stop() {
        thread_.request_stop();
        if (thread_.joinable()) thread_.join();
    }

private:
    std::atomic<int> steps_{0};
    std::atomic<int> inserted_{0};
    std::jthread thread_;
};

/// The ids of every document behind `alias`.
std::set<std::string> document_ids(const std::string& alias) {
    httplib::Client(test::es_url()).Post("/" + alias + "/_refresh");
    es::Options options;
    options.url = test::es_url();
    es::CurlTransport transport(options);
    es::IndexScanner scanner(transport);
    std::set<std::string> ids;
    (void)scanner.scan(alias, [&](std::span<const es::ScannedDocument> page) {
        for (const auto& d : page) ids.insert(d.id);
    });
    return ids;
}

TEST(CaptureE2e, InitBuildsTheIndexFromTheSlotsOwnSnapshotSoNothingIsMissedOrSentAgain) {
    CapturedShop shop(/*set_up_slot=*/false);
    test::TopicReader reader(shop.topic());
    ASSERT_TRUE(reader.wait_assigned(kDeadline));
    // One product per transaction before, during and after the init: each insert committed
    // before the slot's consistent point must be in the index built by the init, and each one
    // after it in the slot alone.
    ShopWriter writer(shop, /*inserts_only=*/true);
    ASSERT_TRUE(writer.wait_for_more(50));
    const auto init = shop.kt("capture init");
    ASSERT_EQ(init.exit_code, 0) << init.output;
    ASSERT_TRUE(writer.wait_for_more(50));
    writer.stop();
    const int rows = writer.inserted();
    EXPECT_THAT(init.output, ::testing::ContainsRegex(
                                 "replication slot " + shop.prefix() +
                                 ": created, streaming from [0-9A-F]+/[0-9A-F]+, with snapshot "
                                 "[0-9A-F-]+\n"))
        << init.output;
    EXPECT_THAT(init.output, ::testing::ContainsRegex(
                                 "reindex " + shop.prefix() + "_products: [0-9]+ rows into " +
                                 shop.prefix() + "_products_[^ ]+ from snapshot [0-9A-F-]+ "
                                 "\\(imported\\)"))
        << init.output;
    EXPECT_THAT(init.output,
                ::testing::ContainsRegex("index " + shop.prefix() +
                                         "_products: built from the slot's snapshot [0-9A-F-]+ "
                                         "\\(every transaction committed before "
                                         "[0-9A-F]+/[0-9A-F]+\\)\n"))
        << init.output;
    const std::set<std::string> built = document_ids(shop.topic());

    // The slot streams the rest: exactly the products the snapshot did not have.
    auto capture = shop.start_capture();
    std::set<std::string> streamed;
    const auto all_in = [&] {
        for (const auto& m : reader.read_for(200ms)) streamed.insert(*m.message.key);
        for (int id = 1; id <= rows; ++id) {
            const std::string key = std::to_string(id);
            if (built.count(key) == 0 && streamed.count(key) == 0) return false;
        }
        return true;
    };
    EXPECT_TRUE(test::wait_until(all_in, kDeadline)) << capture->log();
    for (const auto& m : reader.read_for(1s)) streamed.insert(*m.message.key);
    std::vector<std::string> twice;
    std::set_intersection(built.begin(), built.end(), streamed.begin(), streamed.end(),
                          std::back_inserter(twice));
    EXPECT_TRUE(twice.empty()) << twice.size() << " in both the snapshot and the slot, e.g. "
                               << twice.front();
    EXPECT_GT(built.size(), 50U);    // inserted before the slot began
    EXPECT_GE(streamed.size(), 50U);  // inserted after the init
    EXPECT_EQ(built.size() + streamed.size(), static_cast<std::size_t>(rows));
    std::cout << "capture init under an insert writer: " << rows << " rows, " << built.size()
              << " from the slot's snapshot, " << streamed.size() << " from the slot, "
              << twice.size() << " in both\n";
    capture->terminate();
    EXPECT_EQ(capture->wait_exit(10s), std::optional<int>(0)) << capture->log();
}

TEST(CaptureE2e, InitWhileTheWriterRunsThenStreamingLeavesTheIndexEqualToTheTables) {
    CapturedShop shop(/*set_up_slot=*/false);
    shop.exec("INSERT INTO {0}_brands SELECT i, 'brand' || i, 'DE' FROM generate_series(1, 5) i");
    // Inserts, updates and deletes on products, brands and tags before, during and after the
    // init, and while kt-capture and kt-indexer start.
    ShopWriter writer(shop, /*inserts_only=*/false);
    ASSERT_TRUE(writer.wait_for_more(100));
    const auto init = shop.kt("capture init");
    ASSERT_EQ(init.exit_code, 0) << init.output;
    EXPECT_THAT(init.output, HasSubstr("built from the slot's snapshot")) << init.output;
    ASSERT_TRUE(writer.wait_for_more(100));
    auto capture = shop.start_capture();
    auto indexer = shop.start("kt-indexer");
    ASSERT_TRUE(capture->wait_for_log("streaming slot", kDeadline)) << capture->log();
    ASSERT_TRUE(writer.wait_for_more(200));
    writer.stop();
    const auto stopped = std::chrono::steady_clock::now();

    test::CommandResult verify;
    EXPECT_TRUE(test::wait_until(
        [&] {
            verify = shop.kt("verify " + shop.topic());
            return verify.exit_code == 0;
        },
        kDeadline))
        << verify.output << capture->log() << indexer->log();
    EXPECT_THAT(verify.output, HasSubstr("missing: 0\nextra: 0\nstale: 0\n"));
    const double converged =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - stopped).count();
    std::cout << "capture init under a mixed writer: " << writer.steps() << " transactions, "
              << writer.inserted() << " products inserted; kt verify clean " << converged
              << " s after the writer stopped\n";
    capture->terminate();
    indexer->terminate();
    EXPECT_EQ(capture->wait_exit(10s), std::optional<int>(0)) << capture->log();
    EXPECT_EQ(indexer->wait_exit(10s), std::optional<int>(0)) << indexer->log();
}

TEST(CaptureE2e, InitOnAnExistingSlotRebuildsFromANewSnapshotAndSaysSo) {
    CapturedShop shop(/*set_up_slot=*/true);
    shop.exec("INSERT INTO {0}_products VALUES (10, 'desk', NULL, 1)");
    const auto init = shop.kt("capture init");
    ASSERT_EQ(init.exit_code, 0) << init.output;
    EXPECT_THAT(init.output, HasSubstr("replication slot " + shop.prefix() +
                                       ": already there: each index is rebuilt from a new "
                                       "snapshot"));
    EXPECT_THAT(init.output, HasSubstr("(its own)"));
    EXPECT_THAT(init.output, HasSubstr("index " + shop.prefix() +
                                       "_products: built from a new snapshot, taken after the "
                                       "slot began\n"));
    EXPECT_TRUE(shop.document("10").has_value());
}

}  // namespace
}  // namespace kt::workers
