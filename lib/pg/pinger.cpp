#include "lib/pg/pinger.hpp"

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "lib/pg/detail/conninfo.hpp"
#include "lib/pg/error.hpp"
#include "lib/pg/sql.hpp"

namespace kt::pg {

struct Pinger::Session {
    explicit Session(const std::string& conninfo) : conn(conninfo) {}
    pqxx::connection conn;
};

std::string server_version_name(int server_version) {
    if (server_version >= 100000) {
        return fmt::format("{}.{}", server_version / 10000, server_version % 10000);
    }
    return fmt::format("{}.{}.{}", server_version / 10000, server_version / 100 % 100,
                       server_version % 100);
}

Pinger::Pinger(std::string url, std::chrono::seconds timeout)
    : url_(std::move(url)),
      conninfo_(detail::with_session_options(url_, "kt-readiness", timeout)),
      timeout_(timeout) {}

Pinger::~Pinger() = default;

void Pinger::ping() {
    // A server that refuses the connection was never reached: it "does not answer" only once
    // a connection to it exists.
    bool connected = session_ != nullptr;
    try {
        if (!session_) {
            session_ = std::make_unique<Session>(conninfo_);
            connected = true;
            pqxx::nontransaction tx(session_->conn);
            tx.exec(fmt::format("SET statement_timeout = {}",
                                std::chrono::milliseconds(timeout_).count()));
        }
        pqxx::nontransaction tx(session_->conn);
        tx.exec1("SELECT 1");
    } catch (const std::exception& e) {
        session_.reset();
        const std::string where = detail::redact_url(url_);
        throw ConnectionError(detail::scrub_password(
            connected ? fmt::format("PostgreSQL at {} does not answer: {}", where,
                                    one_line(e.what()))
                      : fmt::format("could not connect to PostgreSQL at {}: {}", where,
                                    one_line(e.what())),
            url_));
    }
}

int Pinger::server_version() {
    ping();
    return session_->conn.server_version();
}

}  // namespace kt::pg
