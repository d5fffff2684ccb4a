#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "lib/error.hpp"

namespace kt::pg {

/// What a PostgreSQL SQLSTATE means for the caller; decided by code, never by message text.
enum class SqlstateKind {
    kConnection,  ///< connection lost, server restarting or shutting down (08xxx, 57P01-57P03)
    kTransient,   ///< busy server: deadlock, serialization, resources, lock timeout, cancel
    kData,        ///< data exception (class 22): a value could not be converted or is out of range
    kQuery,       ///< anything else: the query or the schema is wrong (42xxx, 0A000, …)
};

/// Classifies a five-character SQLSTATE; an empty or unknown code is kQuery.
[[nodiscard]] SqlstateKind classify_sqlstate(std::string_view sqlstate) noexcept;

/// Root of the PostgreSQL failures kt throws: carries the SQLSTATE (empty when none was sent).
class PgError : public Error {
public:
    PgError(const std::string& what, std::string sqlstate, bool retryable);

    /// Five-character SQLSTATE from the server, e.g. `22P02`; empty for client-side failures.
    [[nodiscard]] const std::string& sqlstate() const noexcept { return sqlstate_; }

private:
    std::string sqlstate_;
};

/// Cannot connect, connection lost, or the server is restarting: retryable after a back-off.
class ConnectionError : public PgError {
public:
    explicit ConnectionError(const std::string& what, std::string sqlstate = {})
        : PgError(what, std::move(sqlstate), true) {}
};

/// The server refused for a passing reason (deadlock, serialization, out of resources,
/// statement cancelled): retryable on the same connection.
class ServerBusyError : public PgError {
public:
    ServerBusyError(const std::string& what, std::string sqlstate)
        : PgError(what, std::move(sqlstate), true) {}
};

/// A data error that an id of the batch caused (SQLSTATE class 22, e.g. `abc` cast to bigint):
/// not retryable; split the batch to find the id and dead-letter it.
class IdRejected : public PgError {
public:
    IdRejected(const std::string& what, std::string sqlstate)
        : PgError(what, std::move(sqlstate), false) {}
};

/// The index's query or table is wrong (missing table or column, syntax, no primary key, wrong
/// result columns): not retryable; the message names the index.
class QueryError : public PgError {
public:
    explicit QueryError(const std::string& what, std::string sqlstate = {})
        : PgError(what, std::move(sqlstate), false) {}
};

}  // namespace kt::pg
