#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <string>
#include <vector>

#include "lib/non_copyable.hpp"
#include "lib/pg/error.hpp"
#include "lib/pg/pinger.hpp"
#include "lib/pg/row_loader.hpp"
#include "tests/support/test_env.hpp"

namespace kt::pg {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

/// A plain connection for setting up tables and watching the server.
class Db {
public:
    Db() : conn_(test::postgres_url()) {}

    pqxx::result exec(const std::string& sql) {
        pqxx::nontransaction tx(conn_);
        pqxx::result r = tx.exec(sql);
        tx.commit();
        return r;
    }
    std::string quote(const std::string& name) { return conn_.quote_name(name); }
    std::string literal(const std::string& text) { return conn_.quote(text); }
    pqxx::connection& conn() { return conn_; }

private:
    pqxx::connection conn_;
};

/// Runs `sql` (a DROP) when the test ends, pass or fail.
class Cleanup : private NonCopyable {
public:
    Cleanup(Db& db, std::string sql) : db_(db), sql_(std::move(sql)) {}
    ~Cleanup() {
        try {
            db_.exec(sql_);
        } catch (...) {
        }
    }

private:
    Db& db_;
    std::string sql_;
};

IndexSource query_index(const std::string& name, const std::string& query) {
    IndexSource index;
    index.name = name;
    index.query = query;
    return index;
}

IndexSource table_index(const std::string& name, const std::string& table) {
    IndexSource index;
    index.name = name;
    index.table = table;
    return index;
}

LoaderOptions options_named(const std::string& application_name) {
    LoaderOptions options;
    options.application_name = application_name;
    return options;
}

/// Rows as id → doc, for order-independent comparisons.
std::map<std::string, std::string> by_id(const LoadResult& result) {
    std::map<std::string, std::string> out;
    for (const LoadedRow& row : result.rows) out.emplace(row.id, row.doc);
    return out;
}

/// Creates `name (id bigint primary key, title text)` with rows 1..n titled t1..tn.
void create_titles(Db& db, const std::string& name, int n) {
    db.exec("CREATE TABLE " + db.quote(name) + " (id bigint PRIMARY KEY, title text NOT NULL)");
    db.exec("INSERT INTO " + db.quote(name) + " SELECT g, 't' || g FROM generate_series(1, " +
            std::to_string(n) + ") g");
}

/// A table made by create_titles under a fresh name starting with `prefix`, dropped when the
/// test ends.
class TitlesTable {
public:
    TitlesTable(Db& db, const std::string& prefix, int n)
        : name_(test::unique_name(prefix)), drop_(db, "DROP TABLE " + db.quote(name_)) {
        create_titles(db, name_, n);
    }

    [[nodiscard]] const std::string& name() const { return name_; }

private:
    std::string name_;
    Cleanup drop_;
};

TEST(PgRowLoader, CustomQueryReturnsJsonbDocsAndOmitsMissingIds) {
    Db db;
    const TitlesTable titles(db, "pg_items", 3);

    RowLoader loader(query_index("items",
                                 "SELECT id, jsonb_build_object('title', title) AS doc "
                                 "FROM " +
                                     db.quote(titles.name()) + " WHERE id = ANY($1::bigint[])"),
                     test::postgres_url());
    const LoadResult result = loader.load({"1", "3", "99", "3"});
    const auto rows = by_id(result);
    EXPECT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows.at("1"), R"({"title": "t1"})");
    EXPECT_EQ(rows.at("3"), R"({"title": "t3"})");
    EXPECT_EQ(rows.count("99"), 0u);
    EXPECT_GT(result.version, 0);

    EXPECT_TRUE(loader.load({}).rows.empty());
    EXPECT_TRUE(loader.load({"42"}).rows.empty());
}

TEST(PgRowLoader, CustomQueryPassesJsonTextVerbatim) {
    Db db;
    const std::string table = test::unique_name("pg_json");
    db.exec("CREATE TABLE " + db.quote(table) + " (slug text PRIMARY KEY, body json NOT NULL)");
    db.exec("INSERT INTO " + db.quote(table) +
            R"( VALUES ('a-1', '{"b":1,   "a" : [2, 3]}'), ('b-2', '{}'))");
    Cleanup drop(db, "DROP TABLE " + db.quote(table));

    RowLoader loader(query_index("slugs", "SELECT slug AS id, body AS doc FROM " + db.quote(table) +
                                              " WHERE slug = ANY($1)"),
                     test::postgres_url());
    const auto rows = by_id(loader.load({"a-1", "b-2", "c-3"}));
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows.at("a-1"), R"({"b":1,   "a" : [2, 3]})");
    EXPECT_EQ(rows.at("b-2"), "{}");
}

TEST(PgRowLoader, TableShorthandLoadsWholeRows) {
    Db db;
    const TitlesTable titles(db, "pg_whole", 2);

    RowLoader loader(table_index("whole", titles.name()), test::postgres_url());
    EXPECT_THAT(loader.sql(), HasSubstr("ANY($1::bigint[])"));
    const auto rows = by_id(loader.load({"2", "5"}));
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows.at("2"), R"({"id": 2, "title": "t2"})");
}

TEST(PgRowLoader, TableShorthandQuotesHostileNamesAndIds) {
    Db db;
    const std::string schema = test::unique_name("kt_schema");
    const std::string table = "Weird \"name\"; drop " + test::unique_name("t");
    const std::string key = "Key \"col\"";
    db.exec("CREATE SCHEMA " + db.quote(schema));
    Cleanup drop(db, "DROP SCHEMA " + db.quote(schema) + " CASCADE");
    const std::string relation = db.quote(schema) + "." + db.quote(table);
    db.exec("CREATE TABLE " + relation + " (" + db.quote(key) + " text PRIMARY KEY, n int)");
    const std::string sql_like = "1'); DROP TABLE " + relation + "; --";
    const std::string quoted_id = "quote\"and\\back";
    db.exec("INSERT INTO " + relation + " VALUES ('plain', 1), (" + db.literal(sql_like) +
            ", 2), (" + db.literal(quoted_id) + ", 3)");

    RowLoader loader(table_index("weird", schema + "." + table), test::postgres_url());
    const auto rows = by_id(loader.load({"plain", sql_like, quoted_id, "{\"x\"}", "NULL"}));
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows.at("plain"), R"({"n": 1, "Key \"col\"": "plain"})");
    EXPECT_EQ(rows.count(sql_like), 1u);
    EXPECT_EQ(rows.count(quoted_id), 1u);
    // The table is still there.
    EXPECT_EQ(db.exec("SELECT count(*) FROM " + relation)[0][0].as<int>(), 3);
}

TEST(PgRowLoader, TableShorthandFindsUnqualifiedHostileName) {
    Db db;
    const std::string table = "Weird \"name\"; drop " + test::unique_name("u");
    db.exec("CREATE TABLE " + db.quote(table) + " (id int PRIMARY KEY)");
    Cleanup drop(db, "DROP TABLE " + db.quote(table));
    db.exec("INSERT INTO " + db.quote(table) + " VALUES (7)");

    RowLoader loader(table_index("weird", table), test::postgres_url());
    const auto rows = by_id(loader.load({"7"}));
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows.at("7"), R"({"id": 7})");
}

TEST(PgRowLoader, TableShorthandUsesPrimaryKeyIndex) {
    Db db;
    const TitlesTable titles(db, "pg_explain", 5000);
    const std::string& table = titles.name();
    db.exec("ANALYZE " + db.quote(table));

    RowLoader loader(table_index("explain", table), test::postgres_url());
    std::string plan;
    {
        pqxx::nontransaction tx(db.conn());
        for (const pqxx::row& line :
             tx.exec_params("EXPLAIN " + loader.sql(), std::string("{\"10\",\"20\",\"30\"}"))) {
            plan += std::string(line[0].c_str()) + "\n";
        }
        tx.commit();
    }
    EXPECT_THAT(plan, HasSubstr(table + "_pkey")) << plan;
    EXPECT_THAT(plan, ::testing::AnyOf(HasSubstr("Index Scan"), HasSubstr("Index Only Scan"),
                                       HasSubstr("Bitmap Index Scan")))
        << plan;
    EXPECT_THAT(plan, Not(HasSubstr("Seq Scan"))) << plan;
}

TEST(PgRowLoader, VersionGrowsAcrossCommittedUpdate) {
    Db db;
    const TitlesTable titles(db, "pg_version", 1);

    RowLoader loader(table_index("version", titles.name()), test::postgres_url());
    const LoadResult before = loader.load({"1"});
    db.exec("UPDATE " + db.quote(titles.name()) + " SET title = 'changed' WHERE id = 1");
    const LoadResult after = loader.load({"1"});
    EXPECT_GT(after.version, before.version);
    EXPECT_THAT(before.rows.at(0).doc, HasSubstr("t1"));
    EXPECT_THAT(after.rows.at(0).doc, HasSubstr("changed"));
}

TEST(PgRowLoader, EachAdvanceRaisesTheNextLoadsVersionByAtLeastOne) {
    Db db;
    const TitlesTable titles(db, "pg_advance", 1);

    RowLoader loader(table_index("advance", titles.name()), test::postgres_url());
    // Other sessions' commits can only raise the count further: each advance alone must raise
    // it by at least one (on a quiet database, by exactly one).
    const LoadResult before = loader.load({"1"});
    loader.advance();
    const LoadResult after = loader.load({"1"});
    EXPECT_GE(after.version, before.version + 1);
    loader.advance();
    loader.advance();
    EXPECT_GE(loader.load({"1"}).version, after.version + 2);
    EXPECT_THAT(after.rows.at(0).doc, HasSubstr("t1"));  // the loader still loads afterwards
}

TEST(PgRowLoader, VersionFollowsSnapshotNotFinishingOrder) {
    Db db;
    const TitlesTable titles(db, "pg_order", 1);
    const std::string& table = titles.name();
    const auto lock_key = static_cast<std::int64_t>(std::hash<std::string>{}(table) >> 2);

    // Load A takes its snapshot, then waits on an advisory lock that the test holds.
    const std::string slow_app = test::unique_name("kt_slow");
    RowLoader slow(
        query_index("slow",
                    "WITH gate AS MATERIALIZED (SELECT "
                    "pg_advisory_xact_lock_shared(" +
                        std::to_string(lock_key) + ")) SELECT t.id, to_jsonb(t) AS doc FROM " +
                        db.quote(table) + " t, gate WHERE t.id = ANY($1::bigint[])"),
        test::postgres_url(), options_named(slow_app));
    RowLoader fast(table_index("fast", table), test::postgres_url());

    Db holder;
    pqxx::work lock_tx(holder.conn());
    lock_tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(lock_key) + ")");

    auto slow_load = std::async(std::launch::async, [&] { return slow.load({"1"}); });
    const bool waiting = test::wait_until(
        [&] {
            return db.exec("SELECT 1 FROM pg_stat_activity WHERE application_name = " +
                           db.literal(slow_app) + " AND wait_event = 'advisory'")
                       .size() == 1;
        },
        seconds(10));
    ASSERT_TRUE(waiting);

    db.exec("UPDATE " + db.quote(table) + " SET title = 'newer' WHERE id = 1");
    const LoadResult later_snapshot = fast.load({"1"});
    lock_tx.commit();  // releases the lock: A finishes after B
    const LoadResult earlier_snapshot = slow_load.get();

    EXPECT_THAT(earlier_snapshot.rows.at(0).doc, HasSubstr("t1"));
    EXPECT_THAT(later_snapshot.rows.at(0).doc, HasSubstr("newer"));
    EXPECT_LT(earlier_snapshot.version, later_snapshot.version);
}

TEST(PgRowLoader, BadIdIsRejectedWithSqlstate) {
    Db db;
    const TitlesTable titles(db, "pg_badid", 2);

    RowLoader loader(
        query_index("bad_ids", "SELECT id, to_jsonb(t) AS doc FROM " + db.quote(titles.name()) +
                                   " t WHERE id = ANY($1::bigint[])"),
        test::postgres_url());
    try {
        (void)loader.load({"1", "abc"});
        FAIL() << "expected IdRejected";
    } catch (const IdRejected& e) {
        EXPECT_EQ(e.sqlstate(), "22P02");
        EXPECT_FALSE(e.retryable());
        EXPECT_THAT(e.what(), HasSubstr("bad_ids"));
        EXPECT_THAT(e.what(), HasSubstr("abc"));
    }
    try {
        (void)loader.load({"9223372036854775808"});
        FAIL() << "expected IdRejected";
    } catch (const IdRejected& e) {
        EXPECT_EQ(e.sqlstate(), "22003");
    }
    EXPECT_THROW((void)loader.load({std::string("1\0", 2)}), IdRejected);
    // The connection is still usable after the rejected batches.
    EXPECT_EQ(loader.load({"1", "2"}).rows.size(), 2u);
}

TEST(PgRowLoader, MissingTableIsAClearError) {
    const std::string missing = test::unique_name("pg_missing");
    try {
        RowLoader loader(table_index("gone", missing), test::postgres_url());
        FAIL() << "expected QueryError";
    } catch (const QueryError& e) {
        EXPECT_FALSE(e.retryable());
        EXPECT_THAT(e.what(), HasSubstr(missing));
        EXPECT_THAT(e.what(), HasSubstr("does not exist"));
    }
    try {
        RowLoader loader(query_index("gone_query", "SELECT id, doc FROM " + missing +
                                                       " WHERE id = ANY($1::bigint[])"),
                         test::postgres_url());
        FAIL() << "expected QueryError";
    } catch (const QueryError& e) {
        EXPECT_EQ(e.sqlstate(), "42P01");
        EXPECT_THAT(e.what(), HasSubstr("gone_query"));
        EXPECT_THAT(e.what(), HasSubstr(missing));
    }
}

/// Expects a RowLoader of index `index` on `table` to throw a QueryError naming the table and
/// saying `why`.
void expect_table_rejected(const std::string& index, const std::string& table,
                           const std::string& why) {
    try {
        RowLoader loader(table_index(index, table), test::postgres_url());
        FAIL() << "expected QueryError";
    } catch (const QueryError& e) {
        EXPECT_THAT(e.what(), HasSubstr(table));
        EXPECT_THAT(e.what(), HasSubstr(why));
    }
}

TEST(PgRowLoader, TableWithoutSingleKeyIsRejected) {
    Db db;
    const std::string no_key = test::unique_name("pg_nokey");
    const std::string two_keys = test::unique_name("pg_twokeys");
    db.exec("CREATE TABLE " + no_key + " (id int)");
    Cleanup drop_no_key(db, "DROP TABLE " + no_key);
    db.exec("CREATE TABLE " + two_keys + " (a int, b int, PRIMARY KEY (a, b))");
    Cleanup drop_two_keys(db, "DROP TABLE " + two_keys);

    ASSERT_NO_FATAL_FAILURE(expect_table_rejected("nokey", no_key, "no primary key"));
    ASSERT_NO_FATAL_FAILURE(expect_table_rejected("twokeys", two_keys, "composite"));
}

TEST(PgRowLoader, WrongResultColumnsAreQueryErrors) {
    RowLoader no_doc(query_index("no_doc", "SELECT x AS id, x AS body FROM unnest($1::text[]) x"),
                     test::postgres_url());
    try {
        (void)no_doc.load({"1"});
        FAIL() << "expected QueryError";
    } catch (const QueryError& e) {
        EXPECT_THAT(e.what(), HasSubstr("id and doc"));
        EXPECT_THAT(e.what(), HasSubstr("no_doc"));
    }
    RowLoader text_doc(
        query_index("text_doc", "SELECT x AS id, x AS doc FROM unnest($1::text[]) x"),
        test::postgres_url());
    EXPECT_THROW(text_doc.check(), QueryError);
}

TEST(PgRowLoader, CheckReportsTableDroppedLater) {
    Db db;
    const std::string table = test::unique_name("pg_check");
    create_titles(db, table, 1);
    RowLoader loader(table_index("check", table), test::postgres_url());
    EXPECT_NO_THROW(loader.check());
    db.exec("DROP TABLE " + db.quote(table));
    try {
        loader.check();
        FAIL() << "expected QueryError";
    } catch (const QueryError& e) {
        EXPECT_EQ(e.sqlstate(), "42P01");
        EXPECT_THAT(e.what(), HasSubstr(table));
    }
}

TEST(PgRowLoader, ReconnectsAfterBackendIsTerminated) {
    Db db;
    const TitlesTable titles(db, "pg_reconnect", 2);
    const std::string app = test::unique_name("kt_reconnect");
    const std::string backend_of_app =
        "SELECT pid FROM pg_stat_activity WHERE application_name = " + db.literal(app);

    RowLoader loader(table_index("reconnect", titles.name()), test::postgres_url(),
                     options_named(app));
    ASSERT_EQ(loader.load({"1"}).rows.size(), 1u);
    const pqxx::result before = db.exec(backend_of_app);
    ASSERT_EQ(before.size(), 1u);
    const int old_pid = before[0][0].as<int>();

    db.exec("SELECT pg_terminate_backend(" + std::to_string(old_pid) + ")");
    ASSERT_TRUE(test::wait_until([&] { return db.exec(backend_of_app).empty(); }, seconds(10)));

    const LoadResult result = loader.load({"1", "2"});
    EXPECT_EQ(result.rows.size(), 2u);
    const pqxx::result after = db.exec(backend_of_app);
    ASSERT_EQ(after.size(), 1u);
    EXPECT_NE(after[0][0].as<int>(), old_pid);
}

TEST(PgRowLoader, FailedReconnectIsRetryableAndHidesPassword) {
    const std::string base = test::postgres_url();
    const std::string user_part = "://kt@";
    if (base.find(user_part) == std::string::npos) GTEST_SKIP() << "unexpected test URL shape";
    Db db;
    const std::string role = test::unique_name("kt_role");
    const std::string table = test::unique_name("pg_role_t");
    const std::string secret = "pw-" + test::unique_name("secret");
    create_titles(db, table, 1);
    Cleanup drop_table(db, "DROP TABLE " + db.quote(table));
    db.exec("CREATE ROLE " + db.quote(role) + " LOGIN");
    Cleanup drop_role(db, "DROP ROLE " + db.quote(role));
    db.exec("GRANT SELECT ON " + db.quote(table) + " TO " + db.quote(role));
    Cleanup revoke(db, "REVOKE ALL ON " + db.quote(table) + " FROM " + db.quote(role));
    std::string url = base;
    url.replace(url.find(user_part), user_part.size(), "://" + role + ":" + secret + "@");

    const std::string app = test::unique_name("kt_role");
    RowLoader loader(table_index("role", table), url, options_named(app));
    ASSERT_EQ(loader.load({"1"}).rows.size(), 1u);

    db.exec("ALTER ROLE " + db.quote(role) + " NOLOGIN");
    db.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = " +
            db.literal(app));
    try {
        (void)loader.load({"1"});
        FAIL() << "expected ConnectionError";
    } catch (const ConnectionError& e) {
        EXPECT_TRUE(e.retryable());
        EXPECT_THAT(e.what(), HasSubstr("not permitted to log in"));
        EXPECT_THAT(e.what(), Not(HasSubstr(secret)));
    }
    db.exec("ALTER ROLE " + db.quote(role) + " LOGIN");
    EXPECT_EQ(loader.load({"1"}).rows.size(), 1u);
}

TEST(PgRowLoader, UnreachableServerIsRetryable) {
    const std::string url = "postgresql://kt:hunter2-secret@127.0.0.1:1/kt";
    try {
        RowLoader loader(table_index("nowhere", "t"), url);
        FAIL() << "expected ConnectionError";
    } catch (const ConnectionError& e) {
        EXPECT_TRUE(e.retryable());
        EXPECT_THAT(e.what(), HasSubstr("nowhere"));
        EXPECT_THAT(e.what(), HasSubstr("kt:***@127.0.0.1:1"));
        EXPECT_THAT(e.what(), Not(HasSubstr("hunter2")));
    }
}

TEST(PgPinger, AnswersAndReconnectsAfterItsBackendIsTerminated) {
    Db db;
    Pinger pinger(test::postgres_url());
    pinger.ping();
    db.exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE application_name = 'kt-readiness' AND pid <> pg_backend_pid()");
    // The first ping after the kill may fail (its connection is gone); the next reconnects.
    try {
        pinger.ping();
    } catch (const ConnectionError&) {
        pinger.ping();
    }
}

TEST(PgPinger, UnreachableServerThrowsWithoutThePassword) {
    Pinger pinger("postgresql://kt:hunter2-secret@127.0.0.1:1/kt", seconds(1));
    try {
        pinger.ping();
        FAIL() << "expected ConnectionError";
    } catch (const ConnectionError& e) {
        EXPECT_TRUE(e.retryable());
        EXPECT_THAT(e.what(), HasSubstr("kt:***@127.0.0.1:1"));
        EXPECT_THAT(e.what(), Not(HasSubstr("hunter2")));
    }
}

}  // namespace
}  // namespace kt::pg
