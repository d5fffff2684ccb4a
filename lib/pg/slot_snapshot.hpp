#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "lib/non_copyable.hpp"

// The hand-over of `kt capture init`: a logical replication slot created together with the
// snapshot it starts after.
namespace kt::pg {

/// A pgoutput slot created with an exported snapshot: `CREATE_REPLICATION_SLOT <slot> LOGICAL
/// pgoutput (SNAPSHOT 'export')` (`EXPORT_SNAPSHOT` before PostgreSQL 15) on a
/// `replication=database` connection. The snapshot sees exactly the transactions that committed
/// before the slot's consistent point; the slot streams every one that commits after it. The
/// snapshot stays importable (`SET TRANSACTION SNAPSHOT`, ScanRequest::snapshot_id) while this
/// object keeps its connection open and idle, until release() or destruction; the slot stays.
/// The constructor creates the slot or throws: QueryError (the slot exists, SQLSTATE 42710; no
/// REPLICATION privilege; wal_level not logical), ConnectionError. It waits, as PostgreSQL does,
/// for the transactions running when it starts to end. One thread at a time.
class SlotSnapshot : private NonCopyable {
public:
    SlotSnapshot(const std::string& url, const std::string& slot,
                 std::chrono::seconds connect_timeout = std::chrono::seconds(10));
    ~SlotSnapshot();

    /// The exported snapshot's name, for `SET TRANSACTION SNAPSHOT`.
    [[nodiscard]] const std::string& snapshot_id() const noexcept { return snapshot_id_; }
    /// Where the slot's stream starts, e.g. `0/1A2B3C4`.
    [[nodiscard]] const std::string& consistent_point() const noexcept { return consistent_point_; }
    /// Closes the connection: the snapshot can no longer be imported (readers that imported it
    /// keep it). Idempotent.
    void release() noexcept;

private:
    struct Session;
    std::unique_ptr<Session> session_;
    std::string snapshot_id_;
    std::string consistent_point_;
};

}  // namespace kt::pg
