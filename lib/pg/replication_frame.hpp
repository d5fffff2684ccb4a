#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "lib/pg/pgoutput.hpp"

/// The frames of PostgreSQL's streaming replication protocol inside CopyData
/// (https://www.postgresql.org/docs/15/protocol-replication.html): what the server sends during
/// START_REPLICATION and the standby status update kt answers with. Pure: no I/O.
namespace kt::pg::replication {

using pgoutput::Lsn;

/// 'w': WAL data; for logical replication `payload` is one output plugin message.
struct XLogData {
    Lsn wal_start;
    Lsn wal_end;              ///< the server's current end of WAL
    std::int64_t send_time;   ///< microseconds since 2000-01-01 UTC
    std::string_view payload; ///< a view into the frame given to parse_server_frame()
};
/// 'k': the server is alive; `reply_requested` asks for a status update at once.
struct Keepalive {
    Lsn wal_end;
    std::int64_t send_time;
    bool reply_requested;
};
using ServerFrame = std::variant<XLogData, Keepalive>;

/// Parses one CopyData payload from the server. Throws pgoutput::ProtocolError naming the
/// frame and what is wrong.
[[nodiscard]] ServerFrame parse_server_frame(std::string_view copy_data);

/// 'r': the standby status update. `flushed` is what the server may forget (the slot's
/// confirmed_flush_lsn moves there); `time` in microseconds since 2000-01-01 UTC.
[[nodiscard]] std::string standby_status_update(Lsn written, Lsn flushed, Lsn applied,
                                                std::int64_t time, bool reply_requested);

/// Microseconds since 2000-01-01 UTC, PostgreSQL's epoch.
[[nodiscard]] std::int64_t to_pg_time(std::chrono::system_clock::time_point time);

}  // namespace kt::pg::replication
