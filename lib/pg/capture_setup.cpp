#include "lib/pg/capture_setup.hpp"

#include <fmt/format.h>

#include <pqxx/pqxx>

#include <set>

#include "lib/pg/detail/conninfo.hpp"
#include "lib/pg/detail/failure.hpp"
#include "lib/pg/error.hpp"
#include "lib/pg/query_shape.hpp"
#include "lib/pg/sql.hpp"

namespace kt::pg {
namespace {

std::string qualified(const CaptureTable& t) { return quote_relation(t.schema, t.name); }

/// Runs `body` on a fresh connection, turning libpqxx's exceptions into kt's.
template <typename Body>
auto with_connection(const std::string& url, const std::string& doing, Body&& body) {
    std::unique_ptr<pqxx::connection> conn;
    try {
        conn = std::make_unique<pqxx::connection>(
            detail::with_session_options(url, "kt capture", std::chrono::seconds(10)));
        return body(*conn);
    } catch (const PgError&) {
        throw;
    } catch (...) {
        const auto state = conn ? detail::ConnectionState::kOpen : detail::ConnectionState::kNeverMade;
        detail::throw_failure(detail::current_failure(url, state, 0), doing);
    }
}

}  // namespace

CaptureTable capture_table(const std::string& table) {
    TableName split = split_table_name(table);
    return {std::move(split.schema), std::move(split.name)};
}

std::vector<std::string> ensure_publication(const std::string& url,
                                            const std::string& publication,
                                            const std::vector<CaptureTable>& tables) {
    return with_connection(url, "publication " + publication, [&](pqxx::connection& conn) {
        pqxx::work tx(conn);
        std::set<std::string> resolved;  // "schema"."name", quoted
        std::set<std::string> shown;
        for (const auto& t : tables) {
            const auto rows = tx.exec_params(
                "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n "
                "ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)",
                qualified(t));
            if (rows.empty()) {
                throw QueryError(fmt::format("table {} (read by an index) does not exist",
                                             t.schema.empty() ? t.name : t.schema + "." + t.name));
            }
            const CaptureTable found{rows[0][0].c_str(), rows[0][1].c_str()};
            resolved.insert(qualified(found));
            shown.insert(found.schema + "." + found.name);
        }
        std::string list;
        for (const auto& t : resolved) list += (list.empty() ? "" : ", ") + t;
        const bool exists =
            tx.exec_params1("SELECT count(*) FROM pg_publication WHERE pubname = $1", publication)[0]
                .as<int>() > 0;
        tx.exec(fmt::format(fmt::runtime(exists ? "ALTER PUBLICATION {} SET TABLE {}"
                                                : "CREATE PUBLICATION {} FOR TABLE {}"),
                            quote_identifier(publication), list));
        tx.commit();
        return std::vector<std::string>(shown.begin(), shown.end());
    });
}

std::string wal_level(const std::string& url) {
    return with_connection(url, "wal_level", [&](pqxx::connection& conn) {
        pqxx::nontransaction tx(conn);
        return std::string(tx.exec1("SHOW wal_level")[0].c_str());
    });
}

std::optional<SlotState> slot_state(const std::string& url, const std::string& slot) {
    return with_connection(url, "replication slot " + slot, [&](pqxx::connection& conn) {
        pqxx::nontransaction tx(conn);
        const auto rows = tx.exec_params(
            "SELECT active, active_pid, plugin, confirmed_flush_lsn::text, "
            "  COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn), 0)::bigint "
            "FROM pg_replication_slots WHERE slot_name = $1",
            slot);
        if (rows.empty()) return std::optional<SlotState>();
        SlotState s;
        s.active = rows[0][0].as<bool>();
        if (!rows[0][1].is_null()) s.active_pid = rows[0][1].as<int>();
        s.plugin = rows[0][2].c_str();
        s.confirmed_flush = rows[0][3].is_null() ? "" : rows[0][3].c_str();
        s.lag_bytes = rows[0][4].as<std::int64_t>();
        return std::optional<SlotState>(s);
    });
}

std::vector<std::string> drop_capture(const std::string& url, const std::string& slot,
                                      const std::string& publication) {
    std::vector<std::string> dropped;
    if (const auto state = slot_state(url, slot)) {
        if (state->active) {
            throw QueryError(fmt::format(
                "replication slot {} is being read (process {} on the database server serves "
                "it): stop kt-capture first",
                slot, state->active_pid.value_or(0)));
        }
        with_connection(url, "replication slot " + slot, [&](pqxx::connection& conn) {
            pqxx::nontransaction tx(conn);
            tx.exec_params("SELECT pg_drop_replication_slot($1)", slot);
            return 0;
        });
        dropped.push_back("replication slot " + slot);
    }
    with_connection(url, "publication " + publication, [&](pqxx::connection& conn) {
        pqxx::nontransaction tx(conn);
        if (tx.exec_params1("SELECT count(*) FROM pg_publication WHERE pubname = $1", publication)[0]
                .as<int>() > 0) {
            tx.exec("DROP PUBLICATION " + quote_identifier(publication));
            dropped.push_back("publication " + publication);
        }
        return 0;
    });
    return dropped;
}

std::vector<std::string> tables_without_full_identity(const std::string& url,
                                                      const std::vector<CaptureTable>& tables) {
    return with_connection(url, "replica identity", [&](pqxx::connection& conn) {
        pqxx::nontransaction tx(conn);
        std::vector<std::string> out;
        for (const auto& t : tables) {
            const auto rows = tx.exec_params(
                "SELECT n.nspname || '.' || c.relname, c.relreplident FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)",
                qualified(t));
            if (!rows.empty() && std::string(rows[0][1].c_str()) != "f") {
                out.emplace_back(rows[0][0].c_str());
            }
        }
        return out;
    });
}

}  // namespace kt::pg
