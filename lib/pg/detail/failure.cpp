#include "lib/pg/detail/failure.hpp"

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "lib/pg/detail/conninfo.hpp"
#include "lib/pg/sql.hpp"

namespace kt::pg::detail {

Failure current_failure(const std::string& url, ConnectionState state, std::size_t id_count) {
    const bool connection_open = state == ConnectionState::kOpen;
    Failure f;
    const auto text = [&](std::string_view what) {
        std::string out(one_line(what));
        if (!f.sqlstate.empty()) out += fmt::format(" (SQLSTATE {})", f.sqlstate);
        return scrub_password(std::move(out), url);
    };
    try {
        throw;
    } catch (const pqxx::broken_connection& e) {
        f.kind = SqlstateKind::kConnection;
        f.connection_lost = true;
        // Lost only what was once there: a refused or failed connect is no lost connection.
        f.detail = scrub_password(
            state == ConnectionState::kNeverMade
                ? fmt::format("could not connect to PostgreSQL at {}: {}", redact_url(url),
                              one_line(e.what()))
                : fmt::format("connection to PostgreSQL at {} lost: {}", redact_url(url),
                              one_line(e.what())),
            url);
    } catch (const pqxx::sql_error& e) {
        f.sqlstate = e.sqlstate();
        f.kind = classify_sqlstate(f.sqlstate);
        if (f.kind != SqlstateKind::kConnection && !connection_open) {
            f.kind = SqlstateKind::kConnection;
        }
        // With no ids, a data error comes from the query itself.
        if (f.kind == SqlstateKind::kData && id_count == 0) f.kind = SqlstateKind::kQuery;
        f.connection_lost = f.kind == SqlstateKind::kConnection;
        f.detail = text(e.what());
    } catch (const pqxx::in_doubt_error& e) {
        f.kind = SqlstateKind::kConnection;
        f.connection_lost = true;
        f.detail = text(e.what());
    } catch (const pqxx::failure& e) {
        f.kind = connection_open ? SqlstateKind::kQuery : SqlstateKind::kConnection;
        f.connection_lost = !connection_open;
        f.detail = state == ConnectionState::kNeverMade
                       ? scrub_password(fmt::format("could not connect to PostgreSQL at {}: {}",
                                                    redact_url(url), one_line(e.what())),
                                        url)
                       : text(e.what());
    } catch (const std::exception& e) {
        f.kind = SqlstateKind::kQuery;
        f.detail = text(e.what());
    }
    return f;
}

void throw_failure(const Failure& failure, const std::string& context) {
    const std::string what = context + ": " + failure.detail;
    switch (failure.kind) {
        case SqlstateKind::kConnection:
            throw ConnectionError(what, failure.sqlstate);
        case SqlstateKind::kTransient:
            throw ServerBusyError(what, failure.sqlstate);
        case SqlstateKind::kData:
            throw IdRejected(what, failure.sqlstate);
        case SqlstateKind::kQuery:
            break;
    }
    throw QueryError(what, failure.sqlstate);
}

}  // namespace kt::pg::detail
