#include "workers/indexer/foreign_repair.hpp"

#include <algorithm>

#include "workers/common/doc_version.hpp"
#include "workers/common/batch_plan.hpp"

namespace kt::workers {

namespace {

constexpr int kConflict = 409;

void add(es::RequestCounts& total, const es::RequestCounts& more) {
    total.ok += more.ok;
    total.partial += more.partial;
    total.throttled += more.throttled;
    total.failed += more.failed;
    total.retries += more.retries;
}

}  // namespace

std::vector<std::string> ForeignConflicts::ids() const {
    std::vector<std::string> out;
    out.reserve(list.size());
    for (const ForeignConflict& conflict : list) out.push_back(conflict.id);
    return out;
}

ForeignConflicts foreign_conflicts(std::span<const es::BulkAction> actions,
                                   std::span<const es::ItemResult> items) {
    ForeignConflicts out;
    out.at.assign(actions.size(), false);
    for (std::size_t i = 0; i < actions.size() && i < items.size(); ++i) {
        const es::ItemResult& item = items[i];
        if (item.status != kConflict || item.outcome != es::Outcome::kDone) continue;
        const std::optional<std::int64_t> current = conflict_current_version(item.error_reason);
        if (!conflict_needs_repair(current)) continue;
        out.list.push_back({i, std::string(actions[i].id), current.value_or(-1)});
        out.at[i] = true;
    }
    return out;
}

RepairResult repair_documents(std::vector<std::string> ids, const RepairIo& io, int rounds) {
    RepairResult out;
    for (int round = 0; round < rounds && !ids.empty(); ++round) {
        io.advance();
        const IsolatedLoad loaded = load_isolating(std::move(ids), io.load);
        ids.clear();
        out.rejected.insert(out.rejected.end(), loaded.rejected.begin(), loaded.rejected.end());
        std::vector<LoadedSlice> slices;
        for (std::size_t i = 0; i < loaded.results.size(); ++i) {
            slices.push_back({loaded.slice_ids[i], &loaded.results[i]});
        }
        const std::vector<es::BulkAction> actions = plan_actions(slices);
        if (actions.empty()) break;
        const es::WriteResult written = io.write(actions);
        add(out.requests, written.requests);
        if (written.stopped) {
            out.stopped = true;
            return out;
        }
        const ForeignConflicts last = foreign_conflicts(actions, written.items);
        ids = last.ids();
        for (std::size_t i = 0; i < actions.size(); ++i) {
            const es::ItemResult& item = written.items[i];
            if (last.at[i]) continue;
            if (item.outcome == es::Outcome::kDead) {
                out.dead.emplace_back(std::string(actions[i].id), item);
            } else {
                ++(actions[i].op == es::BulkAction::Op::kIndex ? out.indexed : out.deleted);
            }
        }
        if (ids.empty() || round + 1 < rounds) continue;
        // Left after the last round: a version whose count the newest snapshot has not reached
        // is ahead of the database; one below it was written again by someone else meanwhile.
        std::int64_t newest = 0;
        for (const LoadedSlice& slice : slices) newest = std::max(newest, slice.result->version);
        for (const ForeignConflict& conflict : last.list) {
            out.left.push_back({conflict.id, conflict.version,
                                (conflict.version >> kForeignWriteBits) > newest});
        }
    }
    return out;
}

}  // namespace kt::workers
