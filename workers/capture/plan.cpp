#include "workers/capture/plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace kt::workers::capture {

CapturePlan capture_plan(const config::Config& config, const RowQueryOf& row_query) {
    CapturePlan plan;
    std::set<pg::CaptureTable> tables;
    std::set<pg::CaptureTable> need_old;
    for (const auto& ix : config.indexes) {
        plan.indexes.push_back({ix.name, pg::query_shape(row_query(ix))});
        const pg::QueryShape& shape = plan.indexes.back().shape;
        for (const auto& feed : shape.feeds) {
            const pg::CaptureTable table{feed.table.schema, feed.table.name};
            tables.insert(table);
            if (feed.kind == pg::FeedKind::kChild) need_old.insert(table);
        }
        for (const auto& refusal : shape.refusals) {
            plan.refusals.push_back(fmt::format("index {}: {}{}", ix.name,
                                                refusal.table.empty() ? ""
                                                                      : "table " + refusal.table +
                                                                            ": ",
                                                refusal.reason));
        }
    }
    if (config.capture) {
        for (const auto& mapping : config.capture->tables) {
            tables.insert(pg::capture_table(mapping.table));
        }
    }
    plan.tables.assign(tables.begin(), tables.end());
    plan.need_old_rows.assign(need_old.begin(), need_old.end());
    return plan;
}

}  // namespace kt::workers::capture
