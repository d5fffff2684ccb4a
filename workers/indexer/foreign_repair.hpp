#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "lib/es/bulk_client.hpp"
#include "workers/common/isolating_load.hpp"

namespace kt::workers {

/// A conflict answered to one of kt's writes, whose document another writer changed.
struct ForeignConflict {
    std::size_t action = 0;  ///< its position in the actions written
    std::string id;
    /// The document's version the conflict named; -1 when it named none.
    std::int64_t version = -1;
};

/// The writes of a bulk request that met another writer's version.
struct ForeignConflicts {
    std::vector<ForeignConflict> list;
    std::vector<bool> at;  ///< per action: it is in `list` (its outcome is the repair's)

    /// The ids of `list`, in order.
    [[nodiscard]] std::vector<std::string> ids() const;
};

/// The writes of `actions` that Elasticsearch refused (409) because of a version that kt could
/// not have written (conflict_needs_repair): those documents hold another writer's state and
/// must be rewritten from a newer snapshot. `items` answers `actions`, in order. Pure.
[[nodiscard]] ForeignConflicts foreign_conflicts(std::span<const es::BulkAction> actions,
                                                 std::span<const es::ItemResult> items);

/// The I/O of a repair; the indexer and `kt reindex --ids` pass their loader and bulk client.
struct RepairIo {
    /// Commits a transaction, so that later loads' snapshots are newer than any taken before
    /// (pg::RowLoader::advance).
    std::function<void()> advance;
    LoadFn load;  ///< pg::RowLoader::load
    /// BulkClient::write into the index, with the caller's stop token.
    std::function<es::WriteResult(std::span<const es::BulkAction>)> write;
};

/// A document a repair could not make kt's again.
struct Unrepaired {
    std::string id;
    std::int64_t version = -1;  ///< its version at the last try; -1 when unknown
    /// Its version is above any PostgreSQL has reached: an external version of another
    /// writer's, which no kt write can overwrite until the database's count passes it.
    bool ahead = false;
};

/// What repair_documents did.
struct RepairResult {
    std::size_t indexed = 0;  ///< documents written from the newer snapshot
    std::size_t deleted = 0;  ///< ids whose row is gone, deleted
    std::vector<RejectedId> rejected;  ///< ids the query could not take
    std::vector<std::pair<std::string, es::ItemResult>> dead;  ///< items refused for good
    std::vector<Unrepaired> left;  ///< still another writer's after every round
    bool stopped = false;          ///< the write was stopped: nothing is known of the rest
    es::RequestCounts requests;
};

/// Rewrites `ids` from a snapshot newer than any kt wrote them from: each round commits a
/// transaction first (RepairIo::advance), loads the ids and writes them, so kt's version is
/// above every earlier kt version plus the foreign writes on it. An id met again by another
/// writer's version (it wrote meanwhile) goes into the next round, up to `rounds`; a conflict
/// with a newer version of kt's own is done. Throws what RepairIo's functions throw.
[[nodiscard]] RepairResult repair_documents(std::vector<std::string> ids, const RepairIo& io,
                                            int rounds = 3);

}  // namespace kt::workers
