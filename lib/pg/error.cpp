#include "lib/pg/error.hpp"

#include <utility>

namespace kt::pg {

SqlstateKind classify_sqlstate(std::string_view sqlstate) noexcept {
    if (sqlstate.size() != 5) return SqlstateKind::kQuery;
    const std::string_view cls = sqlstate.substr(0, 2);
    // 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now;
    // 25P03 idle_in_transaction_session_timeout also ends the session.
    if (cls == "08" || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03" ||
        sqlstate == "25P03") {
        return SqlstateKind::kConnection;
    }
    // 40xxx rollback (serialization, deadlock), 53xxx resources, 55P03 lock_not_available,
    // 57014 query_canceled (statement_timeout or an operator's cancel).
    if (cls == "40" || cls == "53" || sqlstate == "55P03" || sqlstate == "57014") {
        return SqlstateKind::kTransient;
    }
    if (cls == "22") return SqlstateKind::kData;
    return SqlstateKind::kQuery;
}

PgError::PgError(const std::string& what, std::string sqlstate, bool retryable)
    : Error(what, retryable), sqlstate_(std::move(sqlstate)) {}

}  // namespace kt::pg
