#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "lib/config/config.hpp"
#include "lib/error.hpp"
#include "workers/reindex/plan.hpp"

namespace kt::es {
class IndexAdmin;
}  // namespace kt::es
namespace kt::kafka {
class RangeReader;
}  // namespace kt::kafka
namespace kt::workers {

/// The reindex was stopped (Ctrl-C) before the alias moved.
class ReindexInterrupted : public Error {
public:
    ReindexInterrupted() : Error("interrupted", false) {}
};

/// The alias moved to the new index, but what follows the swap failed (the last catch-up or
/// deleting the old index): the index may lag the table and an old index may be left.
class SwapNotFinished : public Error {
public:
    SwapNotFinished(const std::string& what, std::string new_index)
        : Error(what, false), new_index_(std::move(new_index)) {}

    /// The physical index the alias now points at.
    [[nodiscard]] const std::string& new_index() const noexcept { return new_index_; }

private:
    std::string new_index_;
};

/// Settings of one full rebuild.
struct ReindexOptions {
    int parallel = 1;       ///< snapshot readers, each streaming its own slice
    int batch_size = 0;     ///< rows per bulk request; 0: the index's batch_size
    bool keep_old = false;  ///< keep the old physical index after the swap
    bool no_swap = false;   ///< build and catch up, but leave the alias where it is
    /// A snapshot exported by another session (the replication slot's, for `kt capture init`)
    /// to read instead of exporting one; it must stay importable until run() returns. Empty:
    /// the rebuild exports its own.
    std::string snapshot_id;
    /// Called every `progress_every` during the load (from a background thread).
    std::function<void(const ProgressSnapshot&)> on_progress;
    std::chrono::milliseconds progress_every{5000};
};

/// What a full rebuild did.
struct ReindexResult {
    std::string new_index;
    std::vector<std::string> old_indices;  ///< behind the alias before; deleted unless keep_old
    std::uint64_t rows = 0;                ///< rows loaded from the snapshot
    std::uint64_t caught_up = 0;           ///< ids re-loaded from the topic after the snapshot
    std::int64_t version = 0;              ///< the snapshot's transaction count (written scaled)
    std::string snapshot_id;               ///< the snapshot read (exported here or imported)
    bool imported = false;                 ///< true: ReindexOptions::snapshot_id was read
    bool swapped = false;
    double load_seconds = 0;
    double total_seconds = 0;
};

/// `kt reindex INDEX`: builds `<alias>_<UTC timestamp>` from one exported PostgreSQL snapshot
/// (its own, or ReindexOptions::snapshot_id) read by `parallel` sessions, writes with the
/// snapshot's version (external_gte, as the indexer; imported_snapshot_count for an imported
/// one), re-loads every id that arrived on the index's topic since just before the rebuild
/// began (its own snapshot is taken after that; before and again after the swap), restores
/// refresh and replicas, moves the alias in one `_aliases` call and drops the old index. Any
/// failure before the swap (a failed creation included: Elasticsearch may have made the index
/// anyway) or a stop request deletes the new index and leaves the alias untouched
/// (ReindexInterrupted when stopped); a failure after the swap throws SwapNotFinished.
class Reindexer {
public:
    Reindexer(const config::Config& config, const config::IndexConfig& index,
              ReindexOptions options);

    /// Runs the rebuild; throws kt::Error (pg, es, kafka failures) or ReindexInterrupted.
    ReindexResult run(std::stop_token stop);

private:
    struct Snapshot;
    /// Loads every row into `result.new_index` from the snapshot options_.snapshot_id names
    /// (imported) or from one exported now; records which, and its version, in `result`.
    std::uint64_t load_from_snapshot(ReindexResult& result, std::int64_t estimate,
                                     std::stop_token stop);
    /// Loads every row of `snapshot` into `new_index`; ends the exporting transaction (when the
    /// rebuild exported it) as soon as every reader has imported the snapshot.
    std::uint64_t load(const std::string& new_index, const Snapshot& snapshot,
                       std::int64_t estimate, std::stop_token stop);

    /// After the alias moved: catches up what kt-indexer wrote into the old index meanwhile
    /// and deletes the old indices (unless kept); throws SwapNotFinished when that fails.
    void finish_swap(es::IndexAdmin& admin, kafka::RangeReader& reader,
                     const std::map<std::int32_t, std::int64_t>& start,
                     const std::map<std::int32_t, std::int64_t>& loaded_to,
                     ReindexResult& result) const;

    struct Load;
    /// A bulk writer thread of `load`: writes the queued chunks until the queue ends.
    void write_chunks(Load& load) const;
    /// A reader thread of `load`: scans its slice of the snapshot into the queue.
    void scan_slice(Load& load, std::size_t slice) const;
    /// Waits for `threads`, reporting progress every `progress_every`.
    void await_load(std::vector<std::jthread>& threads, const Load& load, std::int64_t estimate,
                    std::chrono::steady_clock::time_point started) const;

    const config::Config& config_;
    const config::IndexConfig& index_;
    ReindexOptions options_;
};

}  // namespace kt::workers
