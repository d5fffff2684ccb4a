#include "lib/pg/slot_snapshot.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include "lib/pg/detail/conninfo.hpp"
#include "lib/pg/error.hpp"
#include "lib/pg/query_shape.hpp"
#include "lib/pg/sql.hpp"

namespace kt::pg {
namespace {

struct ConnFree {
    void operator()(PGconn* conn) const noexcept { PQfinish(conn); }
};
struct ResultFree {
    void operator()(PGresult* result) const noexcept { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultFree>;

/// The first PostgreSQL release with the parenthesized options of CREATE_REPLICATION_SLOT.
constexpr int kOptionListVersion = 150000;

}  // namespace

struct SlotSnapshot::Session {
    std::unique_ptr<PGconn, ConnFree> conn;
    std::string url;
    std::string slot;

    /// PQerrorMessage on one line with the password scrubbed.
    [[nodiscard]] std::string error() const {
        return detail::scrub_password(one_line(PQerrorMessage(conn.get())), url);
    }
    /// Runs `command`; throws unless its result has `expected` status.
    Result run(const std::string& command, ExecStatusType expected, const std::string& doing) {
        Result result(PQexec(conn.get(), command.c_str()));
        if (PQresultStatus(result.get()) == expected) return result;
        const char* state = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
        const std::string sqlstate = state != nullptr ? state : "";
        const std::string what = fmt::format("replication slot {}: {}: {}", slot, doing, error());
        if (sqlstate.starts_with("08") || sqlstate.empty()) throw ConnectionError(what, sqlstate);
        throw QueryError(what, sqlstate);
    }
};

SlotSnapshot::SlotSnapshot(const std::string& url, const std::string& slot,
                           std::chrono::seconds connect_timeout)
    : session_(std::make_unique<Session>()) {
    session_->url = url;
    session_->slot = slot;
    const std::string conninfo = detail::with_logical_replication(
        detail::with_session_options(url, "kt capture", connect_timeout));
    session_->conn.reset(PQconnectdb(conninfo.c_str()));
    if (PQstatus(session_->conn.get()) != CONNECTION_OK) {
        throw ConnectionError(fmt::format(
            "could not connect to PostgreSQL for replication at {}: {}", detail::redact_url(url),
            session_->error()));
    }
    // The exported snapshot lives in a transaction left open while the indexes are built: a
    // server-wide idle_in_transaction_session_timeout must not end it.
    (void)session_->run("SET idle_in_transaction_session_timeout = 0", PGRES_COMMAND_OK,
                        "setting the session");
    const bool options_list = PQserverVersion(session_->conn.get()) >= kOptionListVersion;
    const std::string command =
        fmt::format("CREATE_REPLICATION_SLOT {} LOGICAL pgoutput {}", quote_identifier(slot),
                    options_list ? "(SNAPSHOT 'export')" : "EXPORT_SNAPSHOT");
    const Result created = session_->run(command, PGRES_TUPLES_OK, "creating it");
    // slot_name, consistent_point, snapshot_name, output_plugin
    if (PQntuples(created.get()) != 1 || PQnfields(created.get()) < 3 ||
        PQgetisnull(created.get(), 0, 2) != 0) {
        throw QueryError(fmt::format("replication slot {}: created, but the server exported no "
                                     "snapshot",
                                     slot));
    }
    consistent_point_ = PQgetvalue(created.get(), 0, 1);
    snapshot_id_ = PQgetvalue(created.get(), 0, 2);
}

SlotSnapshot::~SlotSnapshot() = default;

void SlotSnapshot::release() noexcept { session_.reset(); }

}  // namespace kt::pg
