#include "lib/pg/row_scanner.hpp"

#include <fmt/format.h>
#include <pqxx/pqxx>

#include <algorithm>
#include <vector>

#include "lib/log/log.hpp"
#include "lib/pg/detail/conninfo.hpp"
#include "lib/pg/detail/failure.hpp"
#include "lib/pg/detail/session.hpp"
#include "lib/pg/detail/table_lookup.hpp"
#include "lib/pg/error.hpp"
#include "lib/pg/scan_source.hpp"
#include "lib/pg/sql.hpp"

namespace kt::pg {

namespace {

// The same number RowLoader writes as the external version (see row_loader.cpp).
constexpr const char* kSnapshotVersion =
    "SELECT pg_snapshot_xmax(s)::text::bigint - (SELECT count(*) FROM pg_snapshot_xip(s)) "
    "FROM pg_current_snapshot() s";

constexpr pqxx::oid kJsonOid = 114;
constexpr pqxx::oid kJsonbOid = 3802;

bool integer_key(const std::string& type) {
    return type == "bigint" || type == "integer" || type == "smallint";
}

/// The WHERE clause that keeps `request`'s slice of a `table:` scan (alias `t`): even key
/// ranges of this snapshot's smallest to largest integer key, else a hash of the key; empty
/// for a single slice.
std::string table_slice_filter(pqxx::nontransaction& tx, const detail::ResolvedTable& t,
                               const ScanRequest& request) {
    if (request.slices <= 1) return {};
    if (!integer_key(t.pk_type)) {
        return fmt::format(" WHERE (hashtext(t.{}::text) & 2147483647) % {} = {}", t.quoted_pk,
                           request.slices, request.slice);
    }
    const pqxx::row bounds =
        tx.exec1(fmt::format("SELECT min({pk})::bigint, max({pk})::bigint FROM {rel}",
                             fmt::arg("pk", t.quoted_pk), fmt::arg("rel", t.quoted_relation)));
    if (bounds[0].is_null()) return " WHERE false";
    const auto lo = bounds[0].as<std::int64_t>();
    const auto hi = bounds[1].as<std::int64_t>();
    // Computed in long double: hi - lo may not fit in an int64.
    const auto span = static_cast<long double>(hi) - static_cast<long double>(lo);
    const auto edge = [&](int k) {
        return lo + static_cast<std::int64_t>(span * k / request.slices);
    };
    const std::int64_t from = request.slice == 0 ? lo : edge(request.slice) + 1;
    const std::int64_t to = edge(request.slice + 1);
    return fmt::format(" WHERE t.{pk} BETWEEN {from} AND {to}", fmt::arg("pk", t.quoted_pk),
                       fmt::arg("from", from),
                       fmt::arg("to", request.slice + 1 == request.slices ? hi : to));
}

/// The scan of `request`'s slice of a `scan_query` (`sql`): a hash of the id picks the slice.
std::string query_slice_select(const std::string& sql, const ScanRequest& request) {
    std::string select = "SELECT s.id::text AS id, s.doc AS doc FROM (" + sql + "\n) s";
    if (request.slices > 1) {
        select += fmt::format(" WHERE (hashtext(s.id::text) & 2147483647) % {} = {}",
                              request.slices, request.slice);
    }
    return select;
}

/// Throws QueryError unless the doc column of a `scan_query` result is json or jsonb.
void check_doc_column(const pqxx::result& rows, const std::string& index_name) {
    if (rows.columns() < 2) return;
    if (const pqxx::oid type = rows.column_type(1); type != kJsonOid && type != kJsonbOid) {
        throw QueryError(fmt::format(
            "index '{}': column doc of scan_query must be json or jsonb, it returns type oid {}",
            index_name, type));
    }
}

/// Replaces `chunk` with the rows that have an id and a doc; returns how many had a NULL.
std::size_t copy_rows(const pqxx::result& rows, std::vector<Row>& chunk) {
    std::size_t null_rows = 0;
    chunk.clear();
    chunk.reserve(rows.size());
    for (const pqxx::row& row : rows) {
        const pqxx::field id = row[0];
        const pqxx::field doc = row[1];
        if (id.is_null() || doc.is_null()) {
            ++null_rows;
            continue;
        }
        chunk.push_back(
            Row{std::string(id.c_str(), id.size()), std::string(doc.c_str(), doc.size())});
    }
    return null_rows;
}

}  // namespace

struct RowScanner::Session : detail::LoaderSession {
    using LoaderSession::LoaderSession;
    detail::ResolvedTable table;
};

RowScanner::RowScanner(const IndexSource& index, std::string url,
                       const LoaderOptions& options)
    : index_(index),
      url_(std::move(url)),
      conninfo_(detail::loader_conninfo(url_, options)) {
    const ScanChoice scan = choose_scan(index_);
    if (scan.origin == ScanOrigin::kRefused) throw QueryError(scan_refusal_message(index_, scan));
    sql_ = scan.sql;
}

RowScanner::~RowScanner() = default;

void RowScanner::ensure_connected() {
    if (session_) return;
    try {
        session_ = std::make_unique<Session>(conninfo_);
        if (!index_.table.empty()) {
            session_->table = detail::resolve_table(session_->conn, index_.name, index_.table);
            sql_ = detail::table_scan_query(session_->table);
        }
    } catch (const PgError&) {
        session_.reset();
        throw;
    } catch (...) {
        rethrow_as_pg_error("connecting");
    }
}

ScanResult RowScanner::scan(const ScanRequest& request, const RowChunkFn& on_chunk) {
    if (request.slices < 1 || request.slice < 0 || request.slice >= request.slices) {
        throw QueryError(fmt::format("index '{}': slice {} of {} does not exist", index_.name,
                                     request.slice, request.slices));
    }
    ensure_connected();
    ScanResult out;
    bool in_callback = false;
    std::vector<Row> chunk;
    try {
        pqxx::nontransaction tx(session_->conn);
        tx.exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
        if (!request.snapshot_id.empty()) {
            tx.exec("SET TRANSACTION SNAPSHOT " + tx.quote(request.snapshot_id));
        }
        out.version = tx.exec(kSnapshotVersion).at(0).at(0).as<std::int64_t>();
        if (request.on_snapshot) {
            in_callback = true;
            request.on_snapshot();
            in_callback = false;
        }

        const std::string select =
            index_.table.empty() ? query_slice_select(sql_, request)
                                 : sql_ + table_slice_filter(tx, session_->table, request);
        tx.exec("DECLARE kt_scan NO SCROLL CURSOR FOR " + select);
        const std::string fetch = fmt::format("FETCH FORWARD {} FROM kt_scan",
                                              std::max<std::size_t>(request.chunk_size, 1));
        std::size_t null_rows = 0;
        bool checked = false;
        while (true) {
            const pqxx::result rows = tx.exec(fetch);
            if (!checked) {
                checked = true;
                // A generated scan returns id and doc by construction.
                if (index_.table.empty()) check_doc_column(rows, index_.name);
            }
            if (rows.empty()) break;
            null_rows += copy_rows(rows, chunk);
            if (!chunk.empty()) {
                in_callback = true;
                on_chunk(chunk);
                in_callback = false;
            }
            out.rows += chunk.size();
        }
        tx.exec("COMMIT");
        tx.commit();
        if (null_rows > 0) {
            log::warn("index '{}': {} rows had a NULL id or doc and were left out", index_.name,
                      null_rows);
        }
    } catch (const PgError&) {
        rollback_or_drop();
        throw;
    } catch (...) {
        if (in_callback) {
            rollback_or_drop();
            throw;
        }
        rethrow_as_pg_error("scanning every row");
    }
    return out;
}

std::int64_t RowScanner::transaction_count() {
    ensure_connected();
    try {
        pqxx::nontransaction tx(session_->conn);
        const std::int64_t count = tx.exec1(kSnapshotVersion)[0].as<std::int64_t>();
        tx.commit();
        return count;
    } catch (...) {
        rethrow_as_pg_error("reading the transaction count");
    }
}

std::int64_t RowScanner::estimate_rows() {
    ensure_connected();
    try {
        pqxx::nontransaction tx(session_->conn);
        if (index_.table.empty()) {
            // The planner's estimate of the scan_query: `"Plan Rows": N` of its top node.
            const std::string plan = tx.exec1("EXPLAIN (FORMAT JSON) " + sql_)[0].c_str();
            tx.commit();
            const std::string key = "\"Plan Rows\": ";
            const std::size_t at = plan.find(key);
            if (at == std::string::npos || at + key.size() >= plan.size() ||
                plan[at + key.size()] < '0' || plan[at + key.size()] > '9') {
                return -1;
            }
            return std::stoll(plan.substr(at + key.size(), 20));
        }
        // reltuples is as of the last ANALYZE; n_live_tup follows inserts within a second.
        const pqxx::row row = tx.exec1(fmt::format(
            "SELECT GREATEST(c.reltuples::bigint, COALESCE(s.n_live_tup, 0)) FROM pg_class c "
            "LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid WHERE c.oid = '{}'::regclass",
            tx.esc(session_->table.quoted_relation)));
        tx.commit();
        return row[0].as<std::int64_t>();
    } catch (...) {
        rethrow_as_pg_error("estimating the row count");
    }
}

void RowScanner::rollback_or_drop() noexcept {
    if (session_ && !detail::rolled_back(*session_)) session_.reset();
}

void RowScanner::rethrow_as_pg_error(const std::string& doing) {
    const detail::Failure failure =
        detail::current_failure(url_, detail::connection_state(session_.get()), 0);
    if (failure.connection_lost) {
        session_.reset();
    } else {
        rollback_or_drop();
    }
    detail::throw_failure(failure, fmt::format("index '{}': {}", index_.name, doing));
}

std::string scan_sql(const IndexSource& index, const std::string& url) {
    if (index.table.empty()) {
        RowScanner scanner(index, url);
        return scanner.sql();
    }
    RowScanner scanner(index, url);
    (void)scanner.estimate_rows();  // connects and resolves the table
    return scanner.sql();
}

}  // namespace kt::pg
