#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "lib/config/config.hpp"
#include "lib/http/check.hpp"
#include "lib/http/liveness.hpp"
#include "lib/metrics/registry.hpp"
#include "lib/non_copyable.hpp"
#include "workers/common/batch_plan.hpp"
#include "workers/common/batch_retry.hpp"
#include "workers/common/dead_letters.hpp"
#include "workers/common/message_parser.hpp"
#include "workers/common/ports.hpp"
#include "workers/common/worker_loop.hpp"
#include "workers/indexer/foreign_repair.hpp"

namespace kt::workers {

/// The Prometheus series one Indexer updates (labels: index; op for documents, outcome for
/// batches and bulk requests).
struct IndexerMetrics {
    metrics::Counter& messages;
    metrics::Counter& indexed;
    metrics::Counter& deleted;
    metrics::Counter& dead_letters;
    metrics::Counter& batches_ok;
    metrics::Counter& batches_failed;
    metrics::Histogram& batch_seconds;
    metrics::Counter& bulk_ok;
    metrics::Counter& bulk_partial;
    metrics::Counter& bulk_throttled;
    metrics::Counter& bulk_failed;
    metrics::Counter& bulk_retries;
    metrics::Counter& foreign_versions;

    /// Adds the requests of one BulkClient::write.
    void count(const es::RequestCounts& requests);

    /// Registers (or finds) the series of index `name` in `registry`.
    static IndexerMetrics create(metrics::Registry& registry, const std::string& name);
};

/// What an Indexer reads from and writes to; indexer_io() builds the real ones.
struct IndexerIo {
    std::unique_ptr<DeadLetterSink> dead_letters;  ///< the index's dead-letter topic
    std::unique_ptr<MessageSource> source;         ///< the index's topic, in its group
    /// Connects to the rows of the index; called when the loop first needs them (and again
    /// after a failed connection). Throws kt::Error.
    std::function<std::unique_ptr<RowSource>()> connect_rows;
    std::unique_ptr<BulkWriter> bulk;
    /// Creates the alias with its physical index when missing; throws kt::Error.
    std::function<void()> ensure_alias;
    /// Waits out the backoff between retries of a batch.
    Sleeper sleep = sleep_for;
};

/// The real IndexerIo of `index`: Kafka (joins `<group_prefix>.indexer.<index>`), PostgreSQL
/// and Elasticsearch. Throws kt::Error when a client cannot be created.
[[nodiscard]] IndexerIo indexer_io(const config::Config& config, const config::IndexConfig& index);

/// The kt-indexer loop for one index: poll → batch → de-duplicate → one Postgres load → one
/// bulk write → dead letters acknowledged → commit. Offsets are committed only after every
/// message before them is in Elasticsearch or in the dead-letter topic. Runs on one thread,
/// plus the bulk write of one batch on its own thread while the next batch is polled and loaded.
class Indexer final : public WorkerLoop, private NonCopyable {
public:
    /// Makes sure the alias exists through `io` (throws kt::Error when Elasticsearch refuses
    /// for good). `config`, `index` and `registry` must outlive the Indexer.
    Indexer(const config::Config& config, const config::IndexConfig& index,
            metrics::Registry& registry, IndexerIo io);
    ~Indexer() override;

    /// Runs until `stop` is requested; then finishes or abandons the batch in hand (committing
    /// only what is written) and leaves the group.
    void run(std::stop_token stop) override;

    /// /healthz: the loop is alive and, when there is lag, commits progress within
    /// `stall_timeout`. Thread-safe.
    [[nodiscard]] http::Check health(std::chrono::milliseconds stall_timeout) override;
    /// /readyz: the last batch did not fail on PostgreSQL or Elasticsearch. Thread-safe.
    [[nodiscard]] http::Check readiness() const override;
    /// /status.json: partitions of the index's topic, dead letters, last batch error.
    [[nodiscard]] http::GroupStatus status() const override;

private:
    /// What one batch's writes came to.
    struct WriteTally {
        std::size_t indexed = 0;
        std::size_t deleted = 0;
        std::size_t dead = 0;  ///< messages dead-lettered: poison, refused by the query or ES
    };
    struct Pending;

    /// Polls the next batch into `batch`; stops waiting for more messages once the write of
    /// `flying` (when there is one) has finished, so that what arrived is written at once.
    bool fill_batch(std::stop_token stop, Pending& batch, const Pending* flying);
    /// Parses the batch (once) and loads its rows, planning the bulk actions; throws kt::Error
    /// when PostgreSQL fails.
    void prepare(Pending& batch);
    /// prepare() that leaves the batch unprepared instead of throwing (write_settled() retries).
    void try_prepare(Pending& batch);
    /// Starts the bulk write of a prepared batch on its own thread (none when nothing to write).
    void start_write(std::stop_token stop, Pending& batch);
    /// Waits for the batch's write (or loads and writes it) and settles each item, retrying the
    /// whole batch from a fresh load until done; false when stopped first.
    bool write_settled(std::stop_token stop, Pending& batch);
    /// Counts a write's items into the batch's tally and dead letters and rewrites documents
    /// another writer changed; false when stopped before every item was written.
    bool settle(std::stop_token stop, Pending& batch, const es::WriteResult& written);
    /// Delivers the batch's dead letters, then commits its offsets (retried until done).
    void commit_written(std::stop_token stop, Pending& batch);
    void connect_loader();
    /// Rewrites the documents of `foreign` from a newer snapshot (repair_documents), logs
    /// them (at most once per kForeignLogPeriod) and counts them into the batch's tally and
    /// the metrics; dead letters go to the batch. Returns false when stopped before they were
    /// written.
    bool repair_foreign(std::stop_token stop, const ForeignConflicts& foreign, Pending& batch);
    /// Creates the alias with its physical index when missing; throws kt::Error (logged when
    /// retryable).
    void ensure_alias();

    const config::Config& config_;
    const config::IndexConfig& index_;
    IndexerMetrics metrics_;
    http::Liveness liveness_;
    BatchRetry retry_;
    bool alias_pending_ = false;  ///< Elasticsearch did not answer at start: run() waits for it
    MessageParser parser_;
    IndexerIo io_;
    std::unique_ptr<RowSource> loader_;
    /// When the last foreign-version line was logged; none yet when empty.
    std::optional<std::chrono::steady_clock::time_point> foreign_logged_;
    std::size_t foreign_unlogged_ = 0;  ///< foreign versions met since that line
};

}  // namespace kt::workers
