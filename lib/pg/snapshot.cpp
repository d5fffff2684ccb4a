#include "lib/pg/snapshot.hpp"

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "lib/pg/detail/conninfo.hpp"
#include "lib/pg/detail/failure.hpp"

namespace kt::pg {

struct ExportedSnapshot::Session {
    explicit Session(const std::string& conninfo) : conn(conninfo), tx(conn) {}
    pqxx::connection conn;
    pqxx::nontransaction tx;
};

namespace {

// The count RowLoader writes as the external version (see row_loader.cpp).
constexpr const char* kSnapshotCount =
    "SELECT pg_snapshot_xmax(s)::text::bigint - (SELECT count(*) FROM pg_snapshot_xip(s)) "
    "FROM pg_current_snapshot() s";

}  // namespace

ExportedSnapshot::ExportedSnapshot(const std::string& url, const LoaderOptions& options) {
    const std::string conninfo =
        detail::with_session_options(url, options.application_name, options.connect_timeout);
    try {
        session_ = std::make_unique<Session>(conninfo);
        session_->tx.exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
        id_ = session_->tx.exec1("SELECT pg_export_snapshot()")[0].c_str();
        version_ = session_->tx.exec1(kSnapshotCount)[0].as<std::int64_t>();
    } catch (...) {
        const detail::Failure failure =
            detail::current_failure(url, detail::connection_state(session_.get()), 0);
        session_.reset();
        detail::throw_failure(failure, "exporting a snapshot");
    }
}

ExportedSnapshot::~ExportedSnapshot() {
    release();
}

void ExportedSnapshot::release() noexcept {
    if (!session_) return;
    try {
        session_->tx.exec("COMMIT");
        session_->tx.commit();
    } catch (...) {
        // The connection goes with the session either way.
    }
    session_.reset();
}

ImportedCounts imported_counts(const std::string& url, const std::string& snapshot_id,
                               const LoaderOptions& options) {
    std::unique_ptr<pqxx::connection> conn;
    try {
        conn = std::make_unique<pqxx::connection>(
            detail::with_session_options(url, options.application_name, options.connect_timeout));
        ImportedCounts counts;
        {
            pqxx::nontransaction tx(*conn);
            tx.exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
            tx.exec("SET TRANSACTION SNAPSHOT " + tx.quote(snapshot_id));
            counts.imported = tx.exec1(kSnapshotCount)[0].as<std::int64_t>();
            tx.exec("COMMIT");
            tx.commit();
        }
        pqxx::nontransaction tx(*conn);
        counts.after = tx.exec1(kSnapshotCount)[0].as<std::int64_t>();
        tx.commit();
        return counts;
    } catch (...) {
        const auto state = conn ? (conn->is_open() ? detail::ConnectionState::kOpen
                                                   : detail::ConnectionState::kClosed)
                                : detail::ConnectionState::kNeverMade;
        detail::throw_failure(detail::current_failure(url, state, 0),
                              "importing snapshot " + snapshot_id);
    }
}

}  // namespace kt::pg
