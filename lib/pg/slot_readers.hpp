#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "lib/non_copyable.hpp"

// Who reads a logical replication slot, as `kt status` shows it: the slot's own row joined with
// the WAL sender that streams it.
namespace kt::pg {

/// A slot and its reader, from pg_replication_slots and pg_stat_replication.
struct SlotReader {
    bool active = false;
    std::optional<int> active_pid;  ///< the WAL sender's process on the server
    /// The reader's application_name (kt-capture sets `kt-capture <host>:<pid>`), empty when
    /// none reads it.
    std::string application_name;
    std::string client_addr;      ///< the reader's address; empty for a Unix socket or none
    std::string confirmed_flush;  ///< e.g. `0/1A2B3C4`
    std::int64_t lag_bytes = 0;   ///< WAL the slot holds: the server's position minus it
};

/// The slot `slot` and its reader; nullopt when there is no such slot. Throws ConnectionError
/// or QueryError.
[[nodiscard]] std::optional<SlotReader> slot_reader(const std::string& url,
                                                    const std::string& slot);

/// Reads one slot's row again and again over one connection (made on first use, and again
/// after a failure): what kt-capture's kt_capture_slot_lag_bytes shows. One thread at a time.
class SlotProbe : private NonCopyable {
public:
    SlotProbe(std::string url, std::string slot,
              std::chrono::seconds connect_timeout = std::chrono::seconds(10));
    ~SlotProbe();

    /// The slot now; nullopt when there is no such slot. Throws ConnectionError or QueryError
    /// (the connection is made again next time).
    [[nodiscard]] std::optional<SlotReader> read();

private:
    struct Session;
    std::string url_;
    std::string slot_;
    std::chrono::seconds connect_timeout_;
    std::unique_ptr<Session> session_;
};

}  // namespace kt::pg
