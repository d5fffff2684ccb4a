#pragma once

#include <functional>
#include <string>
#include <vector>

#include "lib/pg/row_loader.hpp"

namespace kt::workers {

/// An id the index's query cannot take (a pg::IdRejected, SQLSTATE class 22) and why.
struct RejectedId {
    std::string id;
    std::string reason;  ///< `id rejected by the query (SQLSTATE 22P02): …`
};

/// What load_isolating read.
struct IsolatedLoad {
    std::vector<std::vector<std::string>> slice_ids;  ///< the ids of each load, in order
    std::vector<pg::LoadResult> results;              ///< the load of each slice_ids entry
    std::vector<RejectedId> rejected;                 ///< ids no load could take, in order
};

/// Runs one query over some ids; throws pg::IdRejected when the query cannot take one of them.
/// It may move the ids away once it can no longer throw.
using IdsFn = std::function<void(std::vector<std::string>& ids)>;

/// Runs `run` over `ids`; a call that fails with pg::IdRejected is halved until the id that
/// causes it is alone and set aside (appended to `rejected`), so one id the query cannot take
/// never stalls the others. Any other exception of `run` propagates.
void run_isolating(std::vector<std::string> ids, const IdsFn& run,
                   std::vector<RejectedId>& rejected);

/// Loads one batch of row ids (RowLoader::load).
using LoadFn = std::function<pg::LoadResult(const std::vector<std::string>& ids)>;

/// Loads `ids` with `load`; a load that fails with pg::IdRejected is halved until the id that
/// causes it is alone and set aside, so one id the query cannot take never stalls the others.
/// Nothing is decided for a rejected id: kt-indexer dead-letters it, `kt reindex --ids`
/// reports it. Any other exception of `load` propagates.
[[nodiscard]] IsolatedLoad load_isolating(std::vector<std::string> ids, const LoadFn& load);

}  // namespace kt::workers
