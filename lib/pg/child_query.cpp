#include "lib/pg/child_query.hpp"

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "lib/pg/detail/conninfo.hpp"
#include "lib/pg/detail/failure.hpp"
#include "lib/pg/detail/session.hpp"
#include "lib/pg/error.hpp"
#include "lib/pg/sql.hpp"

namespace kt::pg {

struct ChildQuery::Session : detail::LoaderSession {
    using LoaderSession::LoaderSession;
};

ChildQuery::ChildQuery(const CascadeSource& cascade, std::string url,
                       const LoaderOptions& options)
    : cascade_(cascade),
      url_(std::move(url)),
      conninfo_(detail::loader_conninfo(url_, options)) {}

ChildQuery::~ChildQuery() = default;

void ChildQuery::ensure_connected() {
    if (session_) return;
    try {
        session_ = std::make_unique<Session>(conninfo_);
    } catch (...) {
        rethrow_as_pg_error("connecting", 0);
    }
}

std::size_t ChildQuery::stream(const std::vector<std::string>& parent_ids, std::size_t chunk_size,
                               const ChildChunkFn& on_chunk) {
    for (const std::string& id : parent_ids) {
        if (id.find('\0') != std::string::npos) {
            throw IdRejected(fmt::format("cascade '{}': id contains a NUL byte and cannot be sent "
                                         "to PostgreSQL",
                                         cascade_.name),
                             "22021");
        }
    }
    ensure_connected();
    const std::string fetch =
        fmt::format("FETCH FORWARD {} FROM kt_children", std::max<std::size_t>(chunk_size, 1));
    std::size_t total = 0;
    bool in_callback = false;
    std::vector<std::string> chunk;
    try {
        pqxx::nontransaction tx(session_->conn);
        tx.exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
        tx.exec_params("DECLARE kt_children NO SCROLL CURSOR FOR " + cascade_.query,
                       text_array_literal(parent_ids));
        while (true) {
            const pqxx::result rows = tx.exec(fetch);
            if (rows.empty()) break;
            if (rows.columns() < 1) {
                throw QueryError(
                    fmt::format("cascade '{}': the query returns no column", cascade_.name));
            }
            chunk.clear();
            chunk.reserve(rows.size());
            for (const pqxx::row& row : rows) {
                if (!row[0].is_null()) chunk.emplace_back(row[0].c_str(), row[0].size());
            }
            if (!chunk.empty()) {
                in_callback = true;
                on_chunk(chunk);
                in_callback = false;
            }
            total += chunk.size();
        }
        tx.exec("COMMIT");
        tx.commit();
    } catch (...) {
        // The chunk's consumer may throw (e.g. Kafka refused): end the transaction, rethrow.
        if (in_callback || in_flight_is_pg_error()) {
            rollback_or_drop();
            throw;
        }
        rethrow_as_pg_error(
            fmt::format("streaming the children of {} parent id(s)", parent_ids.size()),
            parent_ids.size());
    }
    return total;
}

bool ChildQuery::in_flight_is_pg_error() {
    try {
        throw;
    } catch (const PgError&) {
        return true;
    } catch (...) {
        return false;
    }
}

void ChildQuery::rollback_or_drop() noexcept {
    if (session_ && !detail::rolled_back(*session_)) session_.reset();
}

void ChildQuery::check() {
    (void)stream({}, 1, [](std::span<const std::string>) {});
}

void ChildQuery::rethrow_as_pg_error(const std::string& doing, std::size_t id_count) {
    const detail::Failure failure =
        detail::current_failure(url_, detail::connection_state(session_.get()), id_count);
    if (failure.connection_lost) {
        session_.reset();
    } else {
        rollback_or_drop();
    }
    detail::throw_failure(failure, fmt::format("cascade '{}': {}", cascade_.name, doing));
}

}  // namespace kt::pg
