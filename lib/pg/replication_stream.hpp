#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "lib/non_copyable.hpp"
#include "lib/pg/error.hpp"
#include "lib/pg/pgoutput.hpp"

namespace kt::pg {

/// Another session reads the slot (a second kt-capture replica waits for its turn): retryable.
class SlotInUse : public ConnectionError {
public:
    using ConnectionError::ConnectionError;
};

/// Where and what a replication stream reads.
struct ReplicationOptions {
    std::string url;          ///< libpq URL or keyword/value string of the database
    std::string slot;         ///< an existing logical slot of the pgoutput plugin
    std::string publication;  ///< the publication whose tables are streamed
    int protocol_version = 1;
    bool messages = false;  ///< also stream pg_logical_emit_message() messages
    std::chrono::seconds connect_timeout{10};
    /// The session's application_name (pg_stat_replication shows it) unless `url` sets one.
    std::string application_name = "kt-capture";
};

/// One logical replication session (libpq, `replication=database`): START_REPLICATION on a
/// pgoutput slot, then CopyData frames in (replication::parse_server_frame reads them) and
/// standby status updates out. The constructor connects and starts or throws:
/// ConnectionError when the server cannot be reached or the connection drops, SlotInUse when
/// another session reads the slot (both retryable), QueryError when the slot or publication
/// does not exist.
/// One thread at a time.
class ReplicationStream : private NonCopyable {
public:
    /// Starts at `start`; the server begins at the slot's confirmed position when that is later
    /// (so 0/0 means "where the slot stands").
    ReplicationStream(const ReplicationOptions& options, pgoutput::Lsn start);
    ~ReplicationStream();

    /// The next CopyData payload, waiting at most `timeout`; nullopt when none came in time.
    /// Throws ConnectionError when the connection drops or the server ends the stream.
    [[nodiscard]] std::optional<std::string> next(std::chrono::milliseconds timeout);
    /// Sends a standby status update: the server may forget WAL before `flushed`.
    void send_status(pgoutput::Lsn received, pgoutput::Lsn flushed, bool reply_requested);

private:
    struct Session;
    std::unique_ptr<Session> session_;
};

}  // namespace kt::pg
