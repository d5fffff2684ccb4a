#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "lib/config/config.hpp"
#include "lib/es/bulk_client.hpp"
#include "lib/kafka/consumer.hpp"
#include "lib/kafka/producer.hpp"
#include "lib/pg/row_loader.hpp"
#include "workers/indexer/batch_plan.hpp"
#include "workers/indexer/message_parser.hpp"

namespace kt::workers {

/// Counters one Indexer keeps; read from other threads (metrics, status).
struct IndexerStats {
    std::atomic<std::uint64_t> messages{0};
    std::atomic<std::uint64_t> indexed{0};
    std::atomic<std::uint64_t> deleted{0};
    std::atomic<std::uint64_t> dead_letters{0};
    std::atomic<std::uint64_t> batches{0};
    std::atomic<std::uint64_t> pg_retries{0};
    std::atomic<std::int64_t> last_commit_ms{0};  ///< wall clock of the last commit
    std::atomic<std::int64_t> last_beat_ms{0};    ///< wall clock of the last loop iteration
    std::atomic<bool> pg_ok{false};
};

/// The kt-indexer loop for one index: poll → batch → de-duplicate → one Postgres load → one
/// bulk write → dead letters acknowledged → commit. Offsets are committed only after every
/// message before them is in Elasticsearch or in the dead-letter topic. Runs on one thread.
class Indexer {
public:
    /// Connects to Kafka (joins `<group_prefix>.indexer.<index>`), Postgres and Elasticsearch
    /// and makes sure the alias exists; throws kt::Error when that fails.
    Indexer(const config::Config& config, const config::IndexConfig& index);
    ~Indexer();
    Indexer(const Indexer&) = delete;
    Indexer& operator=(const Indexer&) = delete;

    /// Runs until `stop` is requested; then finishes or abandons the batch in hand (committing
    /// only what is written) and leaves the group.
    void run(std::stop_token stop);

    /// Counters for metrics and health.
    [[nodiscard]] const IndexerStats& stats() const noexcept { return stats_; }

private:
    struct Pending;

    bool fill_batch(std::stop_token stop, Pending& batch);
    bool process(std::stop_token stop, Pending& batch);
    void load_isolating(const std::vector<std::string>& ids, std::vector<pg::LoadResult>& results,
                        std::vector<std::vector<std::string>>& slice_ids,
                        std::vector<std::string>& rejected_ids,
                        std::vector<std::string>& rejected_reasons);
    void dead_letter(std::string_view value, std::optional<std::string_view> key,
                     const std::string& reason, std::int32_t partition, std::int64_t offset);
    void connect_loader();

    const config::Config& config_;
    const config::IndexConfig& index_;
    IndexerStats stats_;
    MessageParser parser_;
    std::set<std::int32_t> assigned_;
    std::unique_ptr<kafka::Producer> dlq_;
    std::unique_ptr<kafka::Consumer> consumer_;
    std::unique_ptr<pg::RowLoader> loader_;
    std::unique_ptr<es::BulkClient> bulk_;
};

}  // namespace kt::workers
