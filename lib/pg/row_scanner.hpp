#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "lib/non_copyable.hpp"
#include "lib/pg/row_loader.hpp"
#include "lib/pg/source.hpp"

namespace kt::pg {

/// Receives one chunk of rows; the span lives only during the call.
using RowChunkFn = std::function<void(std::span<const Row> rows)>;

/// What one scan reads and how.
struct ScanRequest {
    std::size_t chunk_size = 1000;  ///< rows per FETCH and per call of the chunk function
    /// A snapshot exported by another session (`pg_export_snapshot()`), imported with
    /// `SET TRANSACTION SNAPSHOT`; empty: the scan takes its own snapshot.
    std::string snapshot_id;
    /// This scan reads slice `slice` of `slices` (rows whose id hashes to it); 1 slice is all.
    int slice = 0;
    int slices = 1;
    /// Called once the scan's transaction holds its snapshot (imported or its own), before any
    /// row is read: from then on the exporting transaction may end (ExportedSnapshot::release).
    std::function<void()> on_snapshot;
};

/// What a scan read.
struct ScanResult {
    std::size_t rows = 0;      ///< rows handed over (rows with a NULL id or doc are skipped)
    std::int64_t version = 0;  ///< the snapshot's version, as RowLoader computes it
};

/// Reads every row of one index (id and doc) through a server-side cursor in one
/// REPEATABLE READ READ ONLY transaction, a chunk at a time, so a table of any size streams in
/// constant memory. For `table:` the scan is generated (`SELECT <pk>::text AS id,
/// to_jsonb(t)::text AS doc FROM <table> t`, identifiers quoted); for `query:` it is the index's
/// `scan_query`, or when unset the one derived from `query:` (choose_scan; QueryError when none
/// can be). Connects on first use and again after a lost connection. Not thread-safe: one
/// scanner per thread.
class RowScanner : private NonCopyable {
public:
    /// For `index` on `url`; does not connect yet.
    RowScanner(const IndexSource& index, std::string url,
               const LoaderOptions& options = {});
    ~RowScanner();

    /// Streams the rows of `request` to `on_chunk`. Throws ConnectionError or ServerBusyError
    /// (retry later) and QueryError (the scan or the snapshot is wrong); an exception from
    /// `on_chunk` ends the transaction and propagates as is.
    ScanResult scan(const ScanRequest& request, const RowChunkFn& on_chunk);

    /// A progress estimate of the rows: for `table:` `reltuples` or `n_live_tup` (the larger), for
    /// `scan_query` the planner's estimate; -1 when unknown.
    std::int64_t estimate_rows();

    /// The database's transaction count now, as ScanResult::version counts it (a new snapshot).
    /// Throws ConnectionError or ServerBusyError.
    std::int64_t transaction_count();

    /// The scan query in use (for `table:`, generated on first connect).
    [[nodiscard]] const std::string& sql() const noexcept { return sql_; }

private:
    struct Session;

    void ensure_connected();
    void rollback_or_drop() noexcept;
    [[noreturn]] void rethrow_as_pg_error(const std::string& doing);

    IndexSource index_;
    std::string url_;
    std::string conninfo_;
    std::string sql_;
    std::string relation_;  ///< quoted table of `table:`, empty for `query:`
    std::unique_ptr<Session> session_;
};

/// The scan query of `index` on `url` for `COPY (…) TO STDOUT` and tests: the generated one for
/// `table:`, `scan_query` (given or derived) for `query:`. Connects once; throws what
/// RowScanner throws.
[[nodiscard]] std::string scan_sql(const IndexSource& index, const std::string& url);

}  // namespace kt::pg
