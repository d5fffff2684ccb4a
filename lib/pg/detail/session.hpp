// What the three loaders (RowLoader, RowScanner, ChildQuery) share about their connection.
#pragma once

#include <pqxx/pqxx>

#include <string>

#include "lib/pg/detail/conninfo.hpp"
#include "lib/pg/row_loader.hpp"

namespace kt::pg::detail {

/// A loader's connection, kept between calls; opening it throws what libpqxx throws.
struct LoaderSession {
    explicit LoaderSession(const std::string& conninfo) : conn(conninfo) {}
    pqxx::connection conn;
};

/// Ends whatever transaction `session` is in; false when even that fails (the connection is
/// then of no more use).
inline bool rolled_back(LoaderSession& session) noexcept {
    try {
        pqxx::nontransaction tx(session.conn);
        tx.exec("ROLLBACK");
        tx.commit();
        return true;
    } catch (...) {
        return false;
    }
}

/// `url` with the session options of `options`, as every loader connects.
inline std::string loader_conninfo(const std::string& url, const LoaderOptions& options) {
    return with_session_options(url, options.application_name, options.connect_timeout);
}

}  // namespace kt::pg::detail
