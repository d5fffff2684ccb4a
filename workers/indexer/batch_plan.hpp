#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "lib/es/bulk_body.hpp"
#include "lib/pg/row_loader.hpp"
#include "workers/common/batch_plan.hpp"

namespace kt::workers {

/// A loaded slice of ids: the rows Postgres returned and the snapshot version they share.
struct LoadedSlice {
    std::span<const std::string> ids;
    const pg::LoadResult* result = nullptr;
};

/// Bulk actions for loaded slices: index each returned row, delete each id the query did not
/// return, every action versioned with its slice's snapshot count as external_version() scales
/// it. Views point into `slices`. Throws kt::Error for a count beyond kMaxSnapshotCount.
std::vector<es::BulkAction> plan_actions(std::span<const LoadedSlice> slices);

}  // namespace kt::workers
