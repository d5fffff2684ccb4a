#pragma once

#include <cstddef>
#include <stop_token>
#include <string>
#include <vector>

#include "lib/config/config.hpp"
#include "workers/common/isolating_load.hpp"
#include "workers/indexer/foreign_repair.hpp"

namespace kt::workers {

/// What reindex_ids wrote.
struct IdsResult {
    std::size_t indexed = 0;          ///< documents written (or already newer)
    std::size_t deleted = 0;          ///< documents deleted (ids without a row)
    std::vector<std::string> failed;  ///< `id: reason` of items Elasticsearch refused
    /// Ids the query rejected (load_isolating) and why; nothing is written for them.
    std::vector<RejectedId> rejected;
    /// Documents whose write met another writer's version and were rewritten from a newer
    /// snapshot (repair_documents); included in `indexed` and `deleted` once rewritten.
    std::size_t foreign = 0;
    /// Documents another writer still holds: written again meanwhile, or ahead of PostgreSQL.
    std::vector<Unrepaired> unrepaired;
};

/// Re-indexes `ids` in place through the indexer's code path: load_isolating with RowLoader::load
/// (one snapshot per chunk of `batch_size`), plan_actions (index what is returned, delete what is
/// not, versioned with the snapshot), BulkClient::write into `target` (empty: `index.name`, the
/// alias). A repair: it first commits a transaction (RowLoader::advance) so that its snapshots
/// are newer than any the index has seen, and a write that meets another writer's version is
/// rewritten from a newer snapshot still (repair_documents), so each document ends equal to its
/// row whatever another writer did, unless that writer set an external version of its own above
/// PostgreSQL's count. An id the query cannot take (`abc` for a bigint key) is only reported in
/// `rejected`, as kt-indexer dead-letters it. Throws the loader's connection and query errors
/// and what BulkClient::write throws.
IdsResult reindex_ids(const config::Config& config, const config::IndexConfig& index,
                      const std::vector<std::string>& ids, const std::string& target = {},
                      std::stop_token stop = {});

}  // namespace kt::workers
