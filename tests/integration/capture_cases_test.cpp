// kt-capture end to end, the remaining cases: a join two levels deep, hostile table and column
// names on the root, parent and child tables, a TRUNCATE reported (log, metric, kt status), and
// kt status naming the replica that streams the slot, or the slot nobody reads.
#include <gtest/gtest.h>
#include <httplib.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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

constexpr auto kDeadline = 60s;

/// A captured index on tables the test creates: `{0}` in every SQL and YAML text is the
/// fixture's unique name. The slot and publication (for `published`) are made here and go
/// before the tables.
class CaptureCase : private NonCopyable {
public:
    /// `tables_sql` creates the tables (dropped with `drop_sql`), `published` lists them for the
    /// publication, `index_yaml` is the index entry under `indexes:` (named `{0}_ix`);
    /// `heartbeat` is capture.heartbeat.
    CaptureCase(const std::string& prefix, const std::string& tables_sql,
                const std::string& drop_sql, const std::string& published,
                const std::string& index_yaml, const std::string& heartbeat = "1s")
        : f_(prefix), drop_sql_(text(drop_sql)) {
        exec(tables_sql);
        exec("CREATE PUBLICATION {0} FOR TABLE " + published);
        exec("SELECT pg_create_logical_replication_slot('{0}', 'pgoutput')");
        f_.create_topic_with_dead_letters(topic(), 2);
        f_.delete_indexes_at_end(test::es_url(), topic() + "*");
        test::KtConfig config = f_.config();
        config.sections = text("indexes:\n  {0}_ix:\n" + index_yaml +
                               "    batch_wait: 100ms\n"
                               "capture:\n  slot: {0}\n  publication: {0}\n  heartbeat: " +
                               heartbeat + "\n");
        f_.write_config(config);
    }
    ~CaptureCase() {
        workers_.clear();
        try {
            exec("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots "
                 "WHERE slot_name = '{0}' AND active_pid IS NOT NULL");
            (void)test::wait_until(
                [&] {
                    return exec("SELECT 1 FROM pg_replication_slots WHERE slot_name = '{0}' "
                                "AND active")
                        .empty();
                },
                10s);
            exec("SELECT pg_drop_replication_slot('{0}')");
            exec("DROP PUBLICATION IF EXISTS {0}");
            pqxx::nontransaction tx(db());
            tx.exec(drop_sql_);
        } catch (...) {
        }
    }

    [[nodiscard]] std::string topic() const { return f_.name("ix"); }
    [[nodiscard]] const std::string& prefix() const { return f_.name(); }
    [[nodiscard]] std::string text(const std::string& s) const {
        return fmt::format(fmt::runtime(s), f_.name());
    }
    pqxx::result exec(const std::string& sql) {
        pqxx::nontransaction tx(db());
        return tx.exec(text(sql));
    }
    WorkerProcess& start(const std::string& binary) {
        workers_.push_back(
            f_.start_worker(binary, binary + "_" + std::to_string(workers_.size() + 1)));
        return *workers_.back();
    }
    test::CommandResult kt(const std::string& args) { return f_.kt(args); }
    test::Fixture& fixture() { return f_; }

private:
    /// This test's own connection (opened on first use).
    pqxx::connection& db() {
        if (!db_) db_.emplace(f_.postgres_url());
        return *db_;
    }

    test::Fixture f_;
    std::optional<pqxx::connection> db_;
    std::string drop_sql_;
    std::vector<std::unique_ptr<WorkerProcess>> workers_;
};

/// The ids (message keys, checked against the values) of `messages` from `from` on, sorted.
std::vector<std::string> ids_since(const std::vector<test::ReceivedMessage>& messages,
                                   std::size_t from) {
    std::vector<std::string> out;
    for (std::size_t i = from; i < messages.size(); ++i) {
        const auto& m = messages[i].message;
        const std::string id = std::to_string(json::parse(m.payload).at("id").get<std::int64_t>());
        EXPECT_EQ(m.key, std::optional<std::string>(id));
        out.push_back(id);
    }
    std::sort(out.begin(), out.end());
    return out;
}

/// Runs each (SQL, ids it must produce) step in turn, each followed by a marker row of the root
/// table (insert and delete of `marker_id` by `marker_sql`), so that a step's ids are all in
/// once the marker's two arrived: exactly those ids, nothing else.
void expect_steps(CaptureCase& c, test::TopicReader& reader, WorkerProcess& capture,
                  const std::vector<std::pair<std::string, std::vector<std::string>>>& steps,
                  const std::string& marker_sql, const std::string& marker_id) {
    // What the tables' setup made arrives first: read up to a marker of its own.
    c.exec(marker_sql);
    ASSERT_TRUE(test::wait_until(
        [&] {
            const auto& got = reader.read_for(200ms);
            return std::count_if(got.begin(), got.end(), [&](const auto& m) {
                       return m.message.key == std::optional<std::string>(marker_id);
                   }) >= 2;
        },
        kDeadline))
        << capture.log();
    std::size_t seen = reader.messages().size();
    for (const auto& [sql, want] : steps) {
        c.exec(sql);
        c.exec(marker_sql);
        const auto& got = reader.read_until(seen + want.size() + 2, kDeadline);
        ASSERT_GE(got.size(), seen + want.size() + 2) << sql << "\n" << capture.log();
        auto ids = ids_since(got, seen);
        ASSERT_EQ(std::count(ids.begin(), ids.end(), marker_id), 2) << sql;
        ids.erase(std::remove(ids.begin(), ids.end(), marker_id), ids.end());
        EXPECT_EQ(ids, want) << sql;
        seen = got.size();
    }
    EXPECT_EQ(reader.read_for(1s).size(), seen) << "nothing beyond the steps";
}

const char* const kThreeLevels = R"(
    query: |
      SELECT p.id, jsonb_build_object('title', p.title, 'brand', b.name, 'company', c.name) AS doc
      FROM {0}_products p LEFT JOIN {0}_brands b ON b.id = p.brand_id
        LEFT JOIN {0}_companies c ON c.id = b.company_id
      WHERE p.id = ANY($1::bigint[])
    scan_query: |
      SELECT p.id, jsonb_build_object('title', p.title, 'brand', b.name, 'company', c.name) AS doc
      FROM {0}_products p LEFT JOIN {0}_brands b ON b.id = p.brand_id
        LEFT JOIN {0}_companies c ON c.id = b.company_id
)";

/// products -> brands -> companies.
std::unique_ptr<CaptureCase> three_levels(const std::string& prefix,
                                          const std::string& heartbeat = "1s") {
    return std::make_unique<CaptureCase>(
        prefix,
        "CREATE TABLE {0}_companies (id bigint PRIMARY KEY, name text, city text);"
        "ALTER TABLE {0}_companies REPLICA IDENTITY FULL;"
        "CREATE TABLE {0}_brands (id bigint PRIMARY KEY, name text, company_id bigint);"
        "CREATE TABLE {0}_products (id bigint PRIMARY KEY, title text, brand_id bigint)",
        "DROP TABLE IF EXISTS {0}_companies, {0}_brands, {0}_products",
        "{0}_companies, {0}_brands, {0}_products", kThreeLevels, heartbeat);
}

TEST(CaptureCases, ACompanyRenameTwoJoinsAwayReindexesItsProducts) {
    auto c = three_levels("capdeep");
    c->exec("INSERT INTO {0}_companies VALUES (1, 'Acme', 'Berlin'), (2, 'Zeta', 'Oslo');"
            "INSERT INTO {0}_brands VALUES (10, 'Road', 1), (11, 'Trail', 1), (12, 'Sky', 2);"
            "INSERT INTO {0}_products VALUES (100, 'bike', 10), (101, 'helmet', 11),"
            "  (102, 'tent', 12), (103, 'lamp', NULL)");
    test::TopicReader reader(c->topic());
    ASSERT_TRUE(reader.wait_assigned(kDeadline));
    WorkerProcess& capture = c->start("kt-capture");
    ASSERT_TRUE(capture.wait_for_log("streaming slot", kDeadline)) << capture.log();
    const std::string marker =
        "INSERT INTO {0}_products VALUES (999, 'marker', NULL); "
        "DELETE FROM {0}_products WHERE id = 999";
    expect_steps(*c, reader, capture,
                 {
                     // Two levels away: every product of every brand of company 1.
                     {"UPDATE {0}_companies SET name = 'ACME' WHERE id = 1", {"100", "101"}},
                     // A column the query does not read (the company's old row is at hand).
                     {"UPDATE {0}_companies SET city = 'Paris' WHERE id = 1", {}},
                     // A brand moves to company 2: its products, through the middle table.
                     {"UPDATE {0}_brands SET company_id = 2 WHERE id = 11", {"101"}},
                     {"UPDATE {0}_companies SET name = 'ZETA' WHERE id = 2", {"101", "102"}},
                     // A company with no brands.
                     {"INSERT INTO {0}_companies VALUES (3, 'Nil', 'Rome')", {}},
                 },
                 marker, "999");
    // Changes and ids per table.
    const auto port = test::wait_status_port(capture, kDeadline);
    ASSERT_TRUE(port.has_value()) << capture.log();
    const auto metrics = test::http_get(*port, "/metrics").second;
    const auto series = [&](const std::string& name, const std::string& table) {
        return test::metric_value(metrics, fmt::format("{}{{table=\"public.{}_{}\"}}", name,
                                                       c->prefix(), table));
    };
    // Two inserted at the start, then four steps.
    EXPECT_EQ(series("kt_capture_changes_total", "companies"), std::optional<double>(6))
        << metrics;
    // The renames' four at least (the start's inserts found theirs too), and every id comes
    // from some table's change.
    const double companies = series("kt_capture_table_ids_total", "companies").value_or(0);
    EXPECT_GE(companies, 4) << metrics;
    EXPECT_EQ(companies + series("kt_capture_table_ids_total", "brands").value_or(0) +
                  series("kt_capture_table_ids_total", "products").value_or(0),
              test::metric_value(metrics, fmt::format("kt_capture_ids_total{{index=\"{}_ix\"}}",
                                                      c->prefix())))
        << metrics;
    // Commit to Kafka's acknowledgement: set, and far below the test's own deadline.
    const auto lag = test::metric_value(metrics, "kt_capture_lag_seconds");
    ASSERT_TRUE(lag.has_value()) << metrics;
    EXPECT_GE(*lag, 0.0);
    EXPECT_LT(*lag, 10.0) << metrics;
    EXPECT_GE(test::metric_value(metrics, "kt_capture_lag_distribution_seconds_count").value_or(0),
              6.0)
        << metrics;

    // And through kt-indexer into the index: the rename reaches the documents.
    auto init = c->kt("reindex " + c->topic());
    ASSERT_EQ(init.exit_code, 0) << init.output;
    WorkerProcess& indexer = c->start("kt-indexer");
    c->exec("UPDATE {0}_companies SET name = 'Acme Group' WHERE id = 1");
    EXPECT_TRUE(test::wait_until(
        [&] {
            httplib::Client client(test::es_url());
            const auto res = client.Get("/" + c->topic() + "/_doc/100");
            return res && res->status == 200 &&
                   json::parse(res->body).at("_source").value("company", "") == "Acme Group";
        },
        kDeadline))
        << capture.log() << indexer.log();
}

TEST(CaptureCases, HostileTableAndColumnNamesOnRootParentAndChild) {
    // A schema of its own, so that the tables may be called by reserved words alone.
    CaptureCase c(
        "caphost",
        R"(CREATE SCHEMA "{0} Shop";
        CREATE TABLE "{0} Shop"."order" ("Id" bigint PRIMARY KEY, "select" text,
          "Group By" bigint);
        CREATE TABLE "{0} Shop"."Group ""X""" ("Id" bigint PRIMARY KEY, "from" text,
          "where" text);
        ALTER TABLE "{0} Shop"."Group ""X""" REPLICA IDENTITY FULL;
        CREATE TABLE "{0} Shop"."user tags" ("Tag Id" bigint PRIMARY KEY,
          "Order ""Ref""" bigint, "table" text);
        ALTER TABLE "{0} Shop"."user tags" REPLICA IDENTITY FULL)",
        R"(DROP SCHEMA IF EXISTS "{0} Shop" CASCADE)",
        R"("{0} Shop"."order", "{0} Shop"."Group ""X""", "{0} Shop"."user tags")",
        R"(
    query: |
      SELECT o."Id" AS id, jsonb_build_object('select', o."select", 'from', g."from",
        'tags', (SELECT array_agg(t."table") FROM "{0} Shop"."user tags" t
                 WHERE t."Order ""Ref""" = o."Id")) AS doc
      FROM "{0} Shop"."order" o LEFT JOIN "{0} Shop"."Group ""X""" g ON g."Id" = o."Group By"
      WHERE o."Id" = ANY($1::bigint[])
    scan_query: |
      SELECT o."Id" AS id, jsonb_build_object('select', o."select", 'from', g."from") AS doc
      FROM "{0} Shop"."order" o LEFT JOIN "{0} Shop"."Group ""X""" g ON g."Id" = o."Group By"
)");
    test::TopicReader reader(c.topic());
    ASSERT_TRUE(reader.wait_assigned(kDeadline));
    WorkerProcess& capture = c.start("kt-capture");
    ASSERT_TRUE(capture.wait_for_log("streaming slot", kDeadline)) << capture.log();
    const std::string marker = R"(INSERT INTO "{0} Shop"."order" VALUES (999, 'm', NULL);
        DELETE FROM "{0} Shop"."order" WHERE "Id" = 999)";
    expect_steps(
        c, reader, capture,
        {
            {R"(INSERT INTO "{0} Shop"."order" VALUES (1, 'a', NULL), (2, 'b', NULL))",
             {"1", "2"}},
            {R"(INSERT INTO "{0} Shop"."Group ""X""" VALUES (7, 'x', 'w'))", {}},
            {R"(UPDATE "{0} Shop"."order" SET "Group By" = 7)", {"1", "2"}},
            // The parent renamed: the association query, quoted all through.
            {R"(UPDATE "{0} Shop"."Group ""X""" SET "from" = 'y' WHERE "Id" = 7)", {"1", "2"}},
            // A column the query does not read.
            {R"(UPDATE "{0} Shop"."Group ""X""" SET "where" = 'v' WHERE "Id" = 7)", {}},
            // The child: its root, before and after a move.
            {R"(INSERT INTO "{0} Shop"."user tags" VALUES (5, 1, 'oak'))", {"1"}},
            {R"(UPDATE "{0} Shop"."user tags" SET "Order ""Ref""" = 2)", {"1", "2"}},
            {R"(DELETE FROM "{0} Shop"."user tags")", {"2"}},
            // A key change on the root: the old id and the new one.
            {R"(UPDATE "{0} Shop"."order" SET "Id" = 3 WHERE "Id" = 1)", {"1", "3"}},
        },
        marker, "999");
    EXPECT_EQ(capture.count_warnings(), 0U) << capture.log();
}

TEST(CaptureCases, ATruncateIsLoggedCountedAndShownByKtStatusAsNeedingAReindex) {
    auto c = three_levels("captrunc");
    c->exec("INSERT INTO {0}_companies VALUES (1, 'Acme', 'Berlin');"
            "INSERT INTO {0}_brands VALUES (10, 'Road', 1);"
            "INSERT INTO {0}_products VALUES (100, 'bike', 10)");
    WorkerProcess& capture = c->start("kt-capture");
    ASSERT_TRUE(capture.wait_for_log("streaming slot", kDeadline)) << capture.log();
    const auto port = test::wait_status_port(capture, kDeadline);
    ASSERT_TRUE(port.has_value()) << capture.log();
    const std::string ix = c->prefix() + "_ix";

    const auto before = c->kt(fmt::format("status --worker http://127.0.0.1:{}", *port));
    EXPECT_EQ(before.output.find("needs `kt reindex"), std::string::npos) << before.output;

    c->exec("TRUNCATE {0}_brands");
    const std::string line = fmt::format("table public.{}_brands was truncated at ", c->prefix());
    ASSERT_TRUE(capture.wait_for_log(line, kDeadline)) << capture.log();
    EXPECT_TRUE(capture.wait_for_log(fmt::format("index {0} needs `kt reindex {0}`", ix), 1s))
        << capture.log();
    const auto metrics = test::http_get(*port, "/metrics").second;
    EXPECT_EQ(test::metric_value(metrics, fmt::format("kt_capture_truncates_total{{table=\"public."
                                                      "{}_brands\"}}",
                                                      c->prefix())),
              std::optional<double>(1))
        << metrics;

    const auto status = c->kt(fmt::format("status --worker http://127.0.0.1:{}", *port));
    EXPECT_NE(status.output.find(fmt::format("capture {}: {}", c->prefix(), line)),
              std::string::npos)
        << status.output;
    EXPECT_NE(status.output.find(fmt::format("index {0} needs `kt reindex {0}`", ix)),
              std::string::npos)
        << status.output;
}

TEST(CaptureCases, KtStatusNamesTheReplicaThatStreamsTheSlotAndAnInactiveSlot) {
    auto c = three_levels("capstat");
    WorkerProcess& first = c->start("kt-capture");
    ASSERT_TRUE(first.wait_for_log("streaming slot", kDeadline)) << first.log();
    WorkerProcess& second = c->start("kt-capture");
    ASSERT_TRUE(second.wait_for_log("another reader holds it", kDeadline)) << second.log();

    std::string host = test::run_command("hostname").output;
    while (!host.empty() && (host.back() == '\n' || host.back() == ' ')) host.pop_back();
    const auto by = [&](const WorkerProcess& replica) {
        return fmt::format("capture {}: slot streamed by kt-capture {}:{} (", c->prefix(),
                           host.substr(0, 32), replica.pid());
    };
    auto status = c->kt("status");
    EXPECT_NE(status.output.find(by(first)), std::string::npos) << status.output;
    EXPECT_NE(status.output.find("MiB behind the server, confirmed up to "), std::string::npos)
        << status.output;

    // The streaming one dies: the standby takes over, and kt status says so.
    first.kill();
    ASSERT_TRUE(second.wait_for_log("streaming slot", kDeadline)) << second.log();
    EXPECT_TRUE(test::wait_until(
        [&] {
            status = c->kt("status");
            return status.output.find(by(second)) != std::string::npos;
        },
        kDeadline))
        << status.output;

    // Nobody reads it: kt status names the slot and what to do.
    second.terminate();
    ASSERT_EQ(second.wait_exit(10s), std::optional<int>(0)) << second.log();
    status = c->kt("status");
    EXPECT_NE(status.output.find(fmt::format("capture {}: the slot is inactive: nothing reads it "
                                             "and it holds ",
                                             c->prefix())),
              std::string::npos)
        << status.output;
    EXPECT_NE(status.output.find("start kt-capture, or remove it with kt capture drop"),
              std::string::npos)
        << status.output;
    // And kt check names it too.
    const auto check = c->kt("check");
    EXPECT_NE(check.output.find(fmt::format("capture: slot {}: warning: nothing reads it",
                                            c->prefix())),
              std::string::npos)
        << check.output;
}

/// A megabyte figure for the test's output.
double mib(double bytes) { return bytes / (1024.0 * 1024.0); }

// Beside other tests (CTest -j2 on 2 cores) the WAL sender, not kt-capture, fell 21 MiB behind
// the writer: the test runs alone.
TEST(CaptureRunAlone, AnIdleWatchedTableKeepsTheSlotLagUnder16MiBWhileAnotherTableWritesWal) {
    // The issue asks for 1 GiB of WAL from another table; the test writes until 1 GiB or 60 s,
    // whichever comes first, and prints how much it wrote. A machine too busy to write 256 MiB
    // in 60 s (CTest runs other tests beside this one) goes on until it has, for up to 180 s.
    constexpr double kWalGoal = 1024.0 * 1024 * 1024;
    constexpr double kWalEnough = 256.0 * 1024 * 1024;
    constexpr auto kWriteFor = 60s;
    constexpr auto kWriteAtMost = 180s;
    constexpr double kLimit = 16.0 * 1024 * 1024;
    // The default heartbeat (10 s): the slot must follow the server between heartbeats.
    auto c = three_levels("capidle", "10s");
    c->fixture().create_tables(c->text("CREATE TABLE {0}_bulk (id bigint, pad text)"),
                               {c->prefix() + "_bulk"});
    WorkerProcess& capture = c->start("kt-capture");
    ASSERT_TRUE(capture.wait_for_log("streaming slot", kDeadline)) << capture.log();
    const auto port = test::wait_status_port(capture, kDeadline);
    ASSERT_TRUE(port.has_value()) << capture.log();

    // Sampled every 100 ms while the WAL is written: the metric; the slot as the server sees
    // it (its position minus the slot's confirmed one); and kt-capture's share of that, what
    // the WAL sender has decoded and sent minus what is confirmed (on a starved machine the
    // WAL sender itself falls behind the writer, which no reader can help).
    std::atomic<bool> writing{true};
    std::atomic<double> max_metric{0};
    std::atomic<double> max_server{0};
    std::atomic<double> max_unconfirmed{0};
    std::atomic<int> samples{0};
    const std::string slot = c->prefix();
    std::thread sampler([&] {
        pqxx::connection conn(test::postgres_url());
        while (writing) {
            const auto m = test::metric_value(test::http_get(*port, "/metrics").second,
                                              "kt_capture_slot_lag_bytes");
            if (m) max_metric = std::max(max_metric.load(), *m);
            pqxx::nontransaction tx(conn);
            const auto row = tx.exec1(
                "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn), "
                "  COALESCE(pg_wal_lsn_diff(r.sent_lsn, s.confirmed_flush_lsn), 0) "
                "FROM pg_replication_slots s LEFT JOIN pg_stat_replication r "
                "  ON r.pid = s.active_pid WHERE s.slot_name = " +
                tx.quote(slot));
            max_server = std::max(max_server.load(), row[0].as<double>());
            max_unconfirmed = std::max(max_unconfirmed.load(), row[1].as<double>());
            ++samples;
            std::this_thread::sleep_for(100ms);  // the sampling period, not a synchronisation
        }
    });
    const auto wal_now = [&] {
        return c->exec("SELECT pg_current_wal_lsn()::text")[0][0].as<std::string>();
    };
    const std::string start = wal_now();
    const auto began = std::chrono::steady_clock::now();
    double written = 0;
    int statements = 0;
    const auto writing_for = [&] { return std::chrono::steady_clock::now() - began; };
    while (written < kWalGoal && (writing_for() < kWriteFor ||
                                  (written < kWalEnough && writing_for() < kWriteAtMost))) {
        // About 8 MiB of WAL a statement; the table is emptied now and then (not published,
        // so its TRUNCATE is nobody's business).
        c->exec("INSERT INTO {0}_bulk SELECT g, repeat('x', 2000) FROM generate_series(1, 4000) g");
        if (++statements % 16 == 0) c->exec("TRUNCATE {0}_bulk");
        written = c->exec("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '" + start +
                          "')")[0][0]
                      .as<double>();
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    // The slot catches up with the last of it.
    const bool caught_up = test::wait_until(
        [&] {
            return c->exec("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn) < "
                           "16 * 1024 * 1024 FROM pg_replication_slots WHERE slot_name = '{0}'")
                [0][0]
                    .as<bool>();
        },
        kDeadline);
    writing = false;
    sampler.join();
    std::cout << fmt::format("capture idle slot: {:.0f} MiB of WAL from an unpublished table in "
                             "{:.1f} s ({:.0f} MiB/s); {} samples: kt_capture_slot_lag_bytes at "
                             "most {:.2f} MiB, the server's view of the slot at most {:.2f} MiB, "
                             "sent but not confirmed at most {:.2f} MiB\n",
                             mib(written), seconds, mib(written) / seconds, samples.load(),
                             mib(max_metric), mib(max_server), mib(max_unconfirmed));
    EXPECT_GT(samples.load(), 10);
    EXPECT_GT(written, kWalEnough) << "too little WAL to prove anything";
    EXPECT_LT(max_metric.load(), kLimit);
    EXPECT_LT(max_unconfirmed.load(), kLimit);
    // Stricter, as the rate this machine manages is far below the issue's: kt-capture leaves
    // at most half a second of that WAL unconfirmed, plus 2 MiB (following the server only on
    // its own keepalives, about once a second, held 9.5 MiB at 5 MiB/s here).
    const double half_second = written / seconds / 2 + 2.0 * 1024 * 1024;
    EXPECT_LT(max_unconfirmed.load(), half_second) << mib(half_second) << " MiB";
    EXPECT_TRUE(caught_up);
    EXPECT_EQ(capture.count_warnings(), 0U) << capture.log();
}

}  // namespace
}  // namespace kt::workers
