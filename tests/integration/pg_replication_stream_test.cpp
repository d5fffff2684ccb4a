// kt-capture's replication session against the stack's PostgreSQL (wal_level=logical).
#include "lib/non_copyable.hpp"
#include "lib/pg/replication_stream.hpp"

#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include <chrono>
#include <string>
#include <vector>

#include "lib/pg/error.hpp"
#include "lib/pg/replication_frame.hpp"
#include "tests/support/test_env.hpp"

namespace kt::pg {
namespace {

using namespace std::chrono_literals;
namespace po = pgoutput;

/// A table, a publication for it and a pgoutput slot, dropped at the end.
class Captured : private NonCopyable {
public:
    Captured()
        : conn_(test::postgres_url()),
          table_(test::unique_name("kt_repl")),
          slot_(table_),
          publication_(table_) {
        exec("CREATE TABLE " + table_ + " (id bigint PRIMARY KEY, name text)");
        exec("CREATE PUBLICATION " + publication_ + " FOR TABLE " + table_);
        exec("SELECT pg_create_logical_replication_slot('" + slot_ + "', 'pgoutput')");
    }
    ~Captured() {
        try {
            exec("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE "
                 "slot_name = '" + slot_ + "' AND active_pid IS NOT NULL");
            test::wait_until([&] { return !active(); }, 10s);
            exec("SELECT pg_drop_replication_slot('" + slot_ + "')");
            exec("DROP PUBLICATION " + publication_);
            exec("DROP TABLE " + table_);
        } catch (...) {
        }
    }

    pqxx::result exec(const std::string& sql) {
        pqxx::nontransaction tx(conn_);
        return tx.exec(sql);
    }
    [[nodiscard]] ReplicationOptions options() const {
        return {test::postgres_url(), slot_, publication_, 1, false, 10s};
    }
    [[nodiscard]] po::Lsn confirmed() {
        return po::parse_lsn(exec("SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE "
                                  "slot_name = '" + slot_ + "'")[0][0].c_str());
    }
    [[nodiscard]] bool active() {
        return exec("SELECT active FROM pg_replication_slots WHERE slot_name = '" + slot_ + "'")[0]
            [0].as<bool>();
    }
    [[nodiscard]] const std::string& table() const { return table_; }
    [[nodiscard]] const std::string& slot() const { return slot_; }

private:
    pqxx::connection conn_;
    std::string table_;
    std::string slot_;
    std::string publication_;
};

/// Reads frames until `want` Insert messages and their transaction's Commit arrived (or 30 s
/// passed); answers keepalives.
struct Reading {
    std::vector<po::Insert> inserts;
    po::Lsn last_commit_end;
};
Reading read_inserts(ReplicationStream& stream, std::size_t want) {
    Reading out;
    po::Decoder decoder(1);
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    bool committed = false;
    while ((out.inserts.size() < want || !committed) &&
           std::chrono::steady_clock::now() < deadline) {
        const auto frame = stream.next(200ms);
        if (!frame) continue;
        const auto parsed = replication::parse_server_frame(*frame);
        if (const auto* keepalive = std::get_if<replication::Keepalive>(&parsed)) {
            if (keepalive->reply_requested) stream.send_status({}, {}, false);
            continue;
        }
        const auto message = decoder.decode(std::get<replication::XLogData>(parsed).payload);
        if (const auto* insert = std::get_if<po::Insert>(&message)) {
            out.inserts.push_back(*insert);
            committed = false;
        }
        if (const auto* commit = std::get_if<po::Commit>(&message)) {
            out.last_commit_end = commit->end_lsn;
            committed = true;
        }
    }
    return out;
}

TEST(PgReplicationStream, StreamsCommittedInsertsAndResumesAfterWhatWasConfirmed) {
    Captured db;
    {
        ReplicationStream stream(db.options(), po::Lsn{});
        db.exec("INSERT INTO " + db.table() + " VALUES (1, 'a'), (2, 'b')");
        const Reading first = read_inserts(stream, 2);
        ASSERT_EQ(first.inserts.size(), 2U);
        EXPECT_EQ(first.inserts[0].row[0].data, "1");
        EXPECT_EQ(first.inserts[1].row[1].data, "b");
        // Confirm that transaction: the slot moves there.
        ASSERT_GT(first.last_commit_end, po::Lsn{});
        stream.send_status(first.last_commit_end, first.last_commit_end, false);
        ASSERT_TRUE(test::wait_until([&] { return db.confirmed() >= first.last_commit_end; }, 10s))
            << po::to_string(db.confirmed()) << " < " << po::to_string(first.last_commit_end);
        // A transaction read but not confirmed is sent again to the next reader.
        db.exec("INSERT INTO " + db.table() + " VALUES (3, 'c')");
        ASSERT_EQ(read_inserts(stream, 1).inserts.size(), 1U);
    }
    ASSERT_TRUE(test::wait_until([&] { return !db.active(); }, 10s));
    ReplicationStream again(db.options(), po::Lsn{});
    db.exec("INSERT INTO " + db.table() + " VALUES (4, 'd')");
    const Reading second = read_inserts(again, 2);
    ASSERT_EQ(second.inserts.size(), 2U);
    EXPECT_EQ(second.inserts[0].row[0].data, "3");
    EXPECT_EQ(second.inserts[1].row[0].data, "4");
}

TEST(PgReplicationStream, ASecondReaderOfTheSlotIsRefusedAsRetryable) {
    Captured db;
    ReplicationStream first(db.options(), po::Lsn{});
    try {
        ReplicationStream second(db.options(), po::Lsn{});
        FAIL() << "a second reader was let in";
    } catch (const SlotInUse& e) {
        EXPECT_NE(std::string(e.what()).find("another reader holds it"), std::string::npos)
            << e.what();
        EXPECT_TRUE(e.retryable());
    }
}

TEST(PgReplicationStream, AMissingSlotIsAQueryErrorNamingIt) {
    Captured db;
    auto options = db.options();
    options.slot = "kt_no_such_slot";
    try {
        ReplicationStream stream(options, po::Lsn{});
        FAIL() << "no error";
    } catch (const QueryError& e) {
        EXPECT_NE(std::string(e.what()).find("replication slot kt_no_such_slot: "),
                  std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
    }
}

TEST(PgReplicationStream, ATerminatedWalsenderIsAConnectionError) {
    Captured db;
    ReplicationStream stream(db.options(), po::Lsn{});
    ASSERT_TRUE(test::wait_until([&] { return db.active(); }, 10s));
    db.exec("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE "
            "slot_name = '" + db.slot() + "'");
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    bool lost = false;
    while (!lost && std::chrono::steady_clock::now() < deadline) {
        try {
            (void)stream.next(200ms);
        } catch (const ConnectionError& e) {
            lost = true;
            EXPECT_TRUE(e.retryable());
        }
    }
    EXPECT_TRUE(lost);
}

TEST(PgReplicationStream, AnUnreachableServerIsAConnectionError) {
    ReplicationOptions options{"postgresql://kt@127.0.0.1:" + std::to_string(test::closed_port()) +
                                   "/kt",
                               "s", "p", 1, false, 2s};
    EXPECT_THROW(ReplicationStream(options, po::Lsn{}), ConnectionError);
}

}  // namespace
}  // namespace kt::pg
