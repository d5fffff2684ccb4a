#pragma once

#include <optional>
#include <string>
#include <vector>

// What `kt capture init` and `kt capture drop` change in the database, and what `kt check` and
// `kt status` read back: the publication and the logical replication slot of kt-capture.
namespace kt::pg {

/// A table as an index query or the `capture:` section names it: `name` or `schema.name`.
struct CaptureTable {
    std::string schema;  ///< empty: found on the search_path
    std::string name;

    friend auto operator<=>(const CaptureTable&, const CaptureTable&) = default;
};

/// `table` as written (`name` or `schema.name`, split at its first dot).
[[nodiscard]] CaptureTable capture_table(const std::string& table);

/// The slot as pg_replication_slots shows it.
struct SlotState {
    bool active = false;
    std::optional<int> active_pid;
    std::string plugin;
    std::string confirmed_flush;  ///< e.g. `0/1A2B3C4`
    std::int64_t lag_bytes = 0;   ///< WAL the slot holds back: the server's position minus it
};

/// Creates `publication` for exactly `tables`, or sets its tables to them when it exists; each
/// table is resolved as the database sees it (an unqualified name on the search_path), so a
/// table named twice is published once. Returns the tables as `schema.name`, sorted. Throws
/// ConnectionError or QueryError (a table that does not exist, no privilege).
std::vector<std::string> ensure_publication(const std::string& url,
                                            const std::string& publication,
                                            const std::vector<CaptureTable>& tables);
/// The server's `wal_level` (kt-capture needs `logical`).
[[nodiscard]] std::string wal_level(const std::string& url);
/// The slot's state; nullopt when there is no such slot.
[[nodiscard]] std::optional<SlotState> slot_state(const std::string& url, const std::string& slot);
/// Drops the slot (when it exists and no reader holds it: QueryError naming the reader's pid
/// otherwise) and the publication (when it exists). Returns what was dropped, one line each.
std::vector<std::string> drop_capture(const std::string& url, const std::string& slot,
                                      const std::string& publication);
/// The tables among `tables` whose REPLICA IDENTITY is not FULL (`schema.name`), for the
/// tables whose old row kt-capture needs.
[[nodiscard]] std::vector<std::string> tables_without_full_identity(
    const std::string& url, const std::vector<CaptureTable>& tables);

}  // namespace kt::pg
