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

ExportedSnapshot::ExportedSnapshot(const std::string& url, const LoaderOptions& options) {
    const std::string conninfo =
        detail::with_session_options(url, options.application_name, options.connect_timeout);
    try {
        session_ = std::make_unique<Session>(conninfo);
        session_->tx.exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
        const pqxx::row row = session_->tx.exec1(
            "SELECT pg_export_snapshot(), "
            "pg_snapshot_xmax(s)::text::bigint - (SELECT count(*) FROM pg_snapshot_xip(s)) "
            "FROM pg_current_snapshot() s");
        id_ = row[0].c_str();
        version_ = row[1].as<std::int64_t>();
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

}  // namespace kt::pg
