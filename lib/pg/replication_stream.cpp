#include "lib/pg/replication_stream.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <poll.h>

#include <thread>

#include "lib/pg/detail/conninfo.hpp"
#include "lib/pg/error.hpp"
#include "lib/pg/query_shape.hpp"
#include "lib/pg/replication_frame.hpp"
#include "lib/pg/sql.hpp"

namespace kt::pg {
namespace {

/// How long a reader in the middle of a stream lets messages gather before reading again.
constexpr std::chrono::microseconds kGatherPause{1000};

struct ConnFree {
    void operator()(PGconn* conn) const noexcept { PQfinish(conn); }
};
struct ResultFree {
    void operator()(PGresult* result) const noexcept { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultFree>;

/// A single-quoted SQL literal.
std::string literal(std::string_view text) {
    std::string out = "'";
    for (const char c : text) {
        if (c == '\'') out += '\'';
        out += c;
    }
    return out + "'";
}

}  // namespace

struct ReplicationStream::Session {
    std::unique_ptr<PGconn, ConnFree> conn;
    std::string url;
    std::string slot;
    /// The last read returned a message: the server is streaming a backlog or a transaction.
    bool streaming = false;

    /// PQerrorMessage on one line with the password scrubbed.
    [[nodiscard]] std::string error() const {
        return detail::scrub_password(one_line(PQerrorMessage(conn.get())), url);
    }
};

ReplicationStream::ReplicationStream(const ReplicationOptions& options, pgoutput::Lsn start)
    : session_(std::make_unique<Session>()) {
    session_->url = options.url;
    session_->slot = options.slot;
    const std::string conninfo = detail::with_logical_replication(
        detail::with_session_options(options.url, options.application_name,
                                     options.connect_timeout));
    session_->conn.reset(PQconnectdb(conninfo.c_str()));
    if (PQstatus(session_->conn.get()) != CONNECTION_OK) {
        throw ConnectionError(fmt::format(
            "could not connect to PostgreSQL for replication at {}: {}",
            detail::redact_url(options.url), session_->error()));
    }
    const std::string command = fmt::format(
        "START_REPLICATION SLOT {} LOGICAL {} (proto_version '{}', publication_names {}, "
        "messages '{}')",
        quote_identifier(options.slot), pgoutput::to_string(start), options.protocol_version,
        literal(quote_identifier(options.publication)), options.messages ? "true" : "false");
    const Result result(PQexec(session_->conn.get(), command.c_str()));
    if (PQresultStatus(result.get()) == PGRES_COPY_BOTH) return;
    const char* state = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
    const std::string sqlstate = state != nullptr ? state : "";
    const std::string what =
        fmt::format("replication slot {}: {}", options.slot, session_->error());
    if (sqlstate == "55006") throw SlotInUse(what + " (another reader holds it)", sqlstate);
    if (sqlstate.starts_with("08") || sqlstate.empty()) throw ConnectionError(what, sqlstate);
    throw QueryError(what, sqlstate);
}

ReplicationStream::~ReplicationStream() = default;

std::optional<std::string> ReplicationStream::next(std::chrono::milliseconds timeout) {
    PGconn* conn = session_->conn.get();
    std::optional<std::chrono::steady_clock::time_point> deadline;  // once a wait is needed
    for (;;) {
        char* buffer = nullptr;
        const int n = PQgetCopyData(conn, &buffer, 1);
        if (n > 0) {
            std::string frame(buffer, static_cast<std::size_t>(n));
            PQfreemem(buffer);
            session_->streaming = true;
            return frame;
        }
        if (n == -1) {
            const Result end(PQgetResult(conn));
            throw ConnectionError(fmt::format(
                "replication slot {}: the server ended the stream: {}", session_->slot,
                session_->error()));
        }
        if (n < -1) {
            throw ConnectionError(
                fmt::format("replication slot {}: connection lost: {}", session_->slot,
                            session_->error()));
        }
        if (session_->streaming) {
            // While it streams, the server sends each message as soon as it is decoded: waiting
            // for the next one by one costs a wake-up (a context switch) every message or two,
            // which was most of the reader's CPU. A short pause lets a few hundred gather.
            session_->streaming = false;
            std::this_thread::sleep_for(kGatherPause);
            if (PQconsumeInput(conn) == 0) {
                throw ConnectionError(fmt::format("replication slot {}: connection lost: {}",
                                                  session_->slot, session_->error()));
            }
            continue;
        }
        const auto now = std::chrono::steady_clock::now();
        if (!deadline) deadline = now + timeout;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - now);
        if (left.count() <= 0) return std::nullopt;
        pollfd fd{PQsocket(conn), POLLIN, 0};
        if (poll(&fd, 1, static_cast<int>(left.count())) > 0 && PQconsumeInput(conn) == 0) {
            throw ConnectionError(
                fmt::format("replication slot {}: connection lost: {}", session_->slot,
                            session_->error()));
        }
    }
}

void ReplicationStream::send_status(pgoutput::Lsn received, pgoutput::Lsn flushed,
                                    bool reply_requested) {
    const std::string update = replication::standby_status_update(
        received, flushed, flushed, replication::to_pg_time(std::chrono::system_clock::now()),
        reply_requested);
    PGconn* conn = session_->conn.get();
    if (PQputCopyData(conn, update.data(), static_cast<int>(update.size())) != 1 ||
        PQflush(conn) != 0) {
        throw ConnectionError(fmt::format("replication slot {}: cannot send a status update: {}",
                                          session_->slot, session_->error()));
    }
}

}  // namespace kt::pg
