#include "lib/pg/row_loader.hpp"

#include <fmt/format.h>
#include <pqxx/pqxx>

#include <utility>

#include "lib/log/log.hpp"
#include "lib/pg/detail/conninfo.hpp"
#include "lib/pg/detail/failure.hpp"
#include "lib/pg/detail/session.hpp"
#include "lib/pg/detail/table_lookup.hpp"
#include "lib/pg/sql.hpp"

namespace kt::pg {

namespace {

constexpr const char* kStatement = "kt_load";

// BEGIN and the snapshot's version in one round trip. In REPEATABLE READ the snapshot is taken
// by the first statement, so the version and the rows read next come from the same snapshot.
// xmax minus the in-progress xids counts the transactions completed as of the snapshot (plus
// a constant), so a snapshot that sees one more commit gets a strictly larger number.
constexpr const char* kBeginWithVersion =
    "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; "
    "SELECT pg_snapshot_xmax(s)::text::bigint - (SELECT count(*) FROM pg_snapshot_xip(s)) "
    "FROM pg_current_snapshot() s";

constexpr pqxx::oid kJsonOid = 114;
constexpr pqxx::oid kJsonbOid = 3802;

}  // namespace

struct RowLoader::Session : detail::LoaderSession {
    using LoaderSession::LoaderSession;
};

RowLoader::RowLoader(const IndexSource& index, std::string url,
                     const LoaderOptions& options)
    : index_(index),
      url_(std::move(url)),
      conninfo_(detail::loader_conninfo(url_, options)) {
    if (index_.query.empty() == index_.table.empty()) {
        throw QueryError(
            fmt::format("index '{}': exactly one of query and table must be set", index_.name));
    }
    if (!index_.query.empty()) sql_ = index_.query;
    connect();
}

RowLoader::~RowLoader() = default;
RowLoader::RowLoader(RowLoader&&) noexcept = default;
RowLoader& RowLoader::operator=(RowLoader&&) noexcept = default;

void RowLoader::connect() {
    session_.reset();
    try {
        session_ = std::make_unique<Session>(conninfo_);
    } catch (const pqxx::failure& e) {
        throw ConnectionError(detail::scrub_password(
            fmt::format("index '{}': could not connect to PostgreSQL at {}: {}", index_.name,
                        detail::redact_url(url_), one_line(e.what())),
            url_));
    }
    try {
        if (!index_.table.empty()) sql_ = resolve_table(*session_);
        session_->conn.prepare(kStatement, sql_);
        session_->conn.prepare_now(kStatement);
    } catch (...) {
        // Whatever failed, the next call starts over with a fresh connection.
        try {
            try {
                throw;
            } catch (const PgError&) {
                throw;
            } catch (...) {
                rethrow_as_pg_error("preparing the query", 0);
            }
        } catch (...) {
            session_.reset();
            throw;
        }
    }
    if (lost_connection_) {
        log::info("index '{}': reconnected to PostgreSQL at {}", index_.name,
                  detail::redact_url(url_));
        lost_connection_ = false;
    }
}

void RowLoader::ensure_connected() {
    if (!session_) connect();
}

std::string RowLoader::resolve_table(Session& session) const {
    const detail::ResolvedTable table =
        detail::resolve_table(session.conn, index_.name, index_.table);
    return table_query(table.quoted_relation, table.quoted_pk, table.pk_type);
}

LoadResult RowLoader::load(const std::vector<std::string>& ids) {
    for (const std::string& id : ids) {
        if (id.find('\0') != std::string::npos) {
            // libpq parameters are C strings: such an id could never reach the server intact.
            throw IdRejected(
                fmt::format("index '{}': id contains a NUL byte and cannot be sent to PostgreSQL",
                            index_.name),
                "22021");
        }
    }
    const std::string id_array = text_array_literal(ids);
    const bool reusing = session_ != nullptr;
    try {
        return load_once(id_array, ids.size());
    } catch (const ConnectionError& e) {
        // An idle connection may have died since the last call (server restart, terminated
        // backend). A read-only load is safe to repeat, so try once more on a new connection.
        if (!reusing) throw;
        log::warn("{}; reconnecting", e.what());
        return load_once(id_array, ids.size());
    }
}

LoadResult RowLoader::load_once(const std::string& id_array, std::size_t id_count) {
    ensure_connected();
    try {
        return run_load(id_array);
    } catch (const PgError&) {
        throw;
    } catch (...) {
        rethrow_as_pg_error(fmt::format("loading {} ids", id_count), id_count);
    }
}

LoadResult RowLoader::run_load(const std::string& id_array) {
    LoadResult out;
    pqxx::result result;
    bool commit_failed = false;
    {
        pqxx::nontransaction tx(session_->conn);
        const pqxx::result version = tx.exec(kBeginWithVersion);
        out.version = version.at(0).at(0).as<std::int64_t>();
        result = tx.exec_prepared(kStatement, id_array);
        try {
            tx.exec("COMMIT");
            tx.commit();
        } catch (const pqxx::failure&) {
            // The rows were read in a read-only snapshot: they are valid even though the
            // transaction could not be closed. The connection is in doubt, so replace it.
            commit_failed = true;
        }
    }
    if (commit_failed) {
        session_.reset();
        lost_connection_ = true;
    }

    constexpr pqxx::row::size_type kMissing = static_cast<pqxx::row::size_type>(-1);
    pqxx::row::size_type id_column = kMissing;
    pqxx::row::size_type doc_column = kMissing;
    std::string names;
    for (pqxx::row::size_type c = 0; c < result.columns(); ++c) {
        const std::string_view name = result.column_name(c);
        if (name == "id") id_column = c;
        if (name == "doc") doc_column = c;
        names += fmt::format("{}{}", names.empty() ? "" : ", ", name);
    }
    if (id_column == kMissing || doc_column == kMissing) {
        throw QueryError(
            fmt::format("index '{}': the query must return columns id and doc, it returns ({})",
                        index_.name, names));
    }
    if (!index_.query.empty()) {
        const pqxx::oid type = result.column_type(doc_column);
        if (type != kJsonOid && type != kJsonbOid) {
            throw QueryError(fmt::format(
                "index '{}': column doc must be json or jsonb, the query returns type oid {}",
                index_.name, type));
        }
    }

    // pqxx::result is a shared handle on libpq's result: the views below stay valid while any
    // copy of `storage` lives.
    auto storage = std::make_shared<const pqxx::result>(result);
    out.rows.reserve(storage->size());
    std::size_t null_rows = 0;
    for (const pqxx::row& row : *storage) {
        const pqxx::field id = row[id_column];
        const pqxx::field doc = row[doc_column];
        if (id.is_null() || doc.is_null()) {
            ++null_rows;
            continue;
        }
        out.rows.push_back(LoadedRow{std::string_view(id.c_str(), id.size()),
                                     std::string_view(doc.c_str(), doc.size())});
    }
    if (null_rows > 0) {
        log::warn("index '{}': {} of {} rows had a NULL id or doc and were left out", index_.name,
                  null_rows, result.size());
    }
    out.storage = std::move(storage);
    return out;
}

void RowLoader::check() {
    ensure_connected();
    try {
        pqxx::nontransaction tx(session_->conn);
        tx.exec("SELECT 1");
        tx.commit();
    } catch (...) {
        rethrow_as_pg_error("SELECT 1", 0);
    }
    (void)load({});
}

void RowLoader::advance() {
    ensure_connected();
    try {
        // pg_current_xact_id() assigns the transaction an id, so its commit is one more
        // completed transaction for every snapshot taken after it (works in read-only sessions).
        pqxx::nontransaction tx(session_->conn);
        tx.exec("BEGIN; SELECT pg_current_xact_id(); COMMIT");
        tx.commit();
    } catch (...) {
        rethrow_as_pg_error("committing a transaction before a repair", 0);
    }
}

void RowLoader::rollback_or_drop() noexcept {
    if (session_ && !detail::rolled_back(*session_)) {
        session_.reset();
        lost_connection_ = true;
    }
}

void RowLoader::rethrow_as_pg_error(const std::string& doing, std::size_t id_count) {
    const detail::Failure failure =
        detail::current_failure(url_, detail::connection_state(session_.get()), id_count);
    if (failure.connection_lost) {
        session_.reset();
        lost_connection_ = true;
    } else {
        rollback_or_drop();
    }
    detail::throw_failure(failure, fmt::format("index '{}': {}", index_.name, doing));
}

}  // namespace kt::pg
