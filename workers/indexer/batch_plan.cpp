#include "workers/indexer/batch_plan.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "workers/common/doc_version.hpp"

namespace kt::workers {

std::vector<es::BulkAction> plan_actions(std::span<const LoadedSlice> slices) {
    std::vector<es::BulkAction> actions;
    for (const auto& slice : slices) {
        const std::int64_t version = external_version(slice.result->version);
        std::unordered_map<std::string_view, const pg::LoadedRow*> found;
        found.reserve(slice.result->rows.size());
        for (const auto& row : slice.result->rows) found.emplace(row.id, &row);
        for (const auto& id : slice.ids) {
            const auto it = found.find(id);
            if (it != found.end()) {
                actions.push_back(
                    {es::BulkAction::Op::kIndex, it->second->id, it->second->doc, version});
            } else {
                actions.push_back({es::BulkAction::Op::kDelete, id, {}, version});
            }
        }
        // A row whose id text differs from the one asked for (`007` read back as `7`) is still
        // the row's current state: index it under the id Postgres returned.
        const std::unordered_set<std::string_view> asked(slice.ids.begin(), slice.ids.end());
        for (const auto& row : slice.result->rows) {
            if (asked.count(row.id) == 0) {
                actions.push_back({es::BulkAction::Op::kIndex, row.id, row.doc, version});
            }
        }
    }
    return actions;
}

}  // namespace kt::workers
