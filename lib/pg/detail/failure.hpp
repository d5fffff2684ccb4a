#pragma once

#include <cstddef>
#include <string>

#include "lib/pg/error.hpp"

// Translation of libpqxx exceptions into kt's PgError family, private to lib/pg.
namespace kt::pg::detail {

/// What a failed call means for its caller.
struct Failure {
    SqlstateKind kind = SqlstateKind::kQuery;
    std::string sqlstate;          ///< empty when the server sent none
    std::string detail;            ///< one line, password scrubbed, with `(SQLSTATE x)` when known
    bool connection_lost = false;  ///< the session is unusable: drop it and reconnect later
};

/// Where a session's connection stood when a call failed.
enum class ConnectionState {
    kNeverMade,  ///< connecting failed: no connection was ever established
    kOpen,       ///< established and still reporting open
    kClosed,     ///< established, then closed or broken
};

/// The state of `session`'s connection (a struct with a `pqxx::connection conn`); null means
/// the session was never made.
template <typename Session>
[[nodiscard]] ConnectionState connection_state(const Session* session) {
    if (session == nullptr) return ConnectionState::kNeverMade;
    return session->conn.is_open() ? ConnectionState::kOpen : ConnectionState::kClosed;
}

/// Classifies the exception in flight; call only inside a catch block. `url` is scrubbed from
/// the text; `state` tells a connection that could not be made from one that was lost;
/// `id_count` 0 means no id can have caused a data error (it is then the query's fault).
[[nodiscard]] Failure current_failure(const std::string& url, ConnectionState state,
                                      std::size_t id_count);

/// Throws the PgError subclass for `failure`, its message `<context>: <detail>`.
[[noreturn]] void throw_failure(const Failure& failure, const std::string& context);

}  // namespace kt::pg::detail
