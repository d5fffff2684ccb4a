#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "lib/non_copyable.hpp"
#include "lib/pg/row_loader.hpp"

namespace kt::pg {

/// A snapshot exported for other sessions: one REPEATABLE READ READ ONLY transaction runs
/// `pg_export_snapshot()` and stays open (so the snapshot stays importable) until release() or
/// destruction. Other sessions import it with ScanRequest::snapshot_id and then all read the
/// very same database state. The constructor connects or throws (ConnectionError, QueryError).
class ExportedSnapshot : private NonCopyable {
public:
    explicit ExportedSnapshot(const std::string& url, const LoaderOptions& options = {});
    ~ExportedSnapshot();

    /// The id to pass to `SET TRANSACTION SNAPSHOT`.
    [[nodiscard]] const std::string& id() const noexcept { return id_; }
    /// The snapshot's version, as RowLoader computes it.
    [[nodiscard]] std::int64_t version() const noexcept { return version_; }
    /// Ends the exporting transaction; importers that already began keep their snapshot. Any
    /// thread may call it, but not while another calls it (the destructor calls it too).
    void release() noexcept;

private:
    struct Session;
    std::unique_ptr<Session> session_;
    std::string id_;
    std::int64_t version_ = 0;
};

/// Transaction counts (as ExportedSnapshot::version counts them) around a snapshot exported by
/// another session.
struct ImportedCounts {
    std::int64_t imported = 0;  ///< the snapshot's own, read in a transaction that imports it
    std::int64_t after = 0;     ///< a new snapshot's, taken once the import succeeded
};

/// Imports `snapshot_id` (exported by another session, still importable) in a REPEATABLE READ
/// READ ONLY transaction to read its count, then takes a new snapshot's. Throws ConnectionError,
/// or QueryError when the snapshot cannot be imported.
[[nodiscard]] ImportedCounts imported_counts(const std::string& url,
                                             const std::string& snapshot_id,
                                             const LoaderOptions& options = {});

}  // namespace kt::pg
