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

/// Classifies the exception in flight; call only inside a catch block. `url` is scrubbed from
/// the text; `connection_open` is whether the session's connection still reports open;
/// `id_count` 0 means no id can have caused a data error (it is then the query's fault).
[[nodiscard]] Failure current_failure(const std::string& url, bool connection_open,
                                      std::size_t id_count);

/// Throws the PgError subclass for `failure`, its message `<context>: <detail>`.
[[noreturn]] void throw_failure(const Failure& failure, const std::string& context);

}  // namespace kt::pg::detail
