#include "workers/capture/plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace kt::workers::capture {

namespace {

/// The explicit mapping of `table` for index `index`, nullptr when there is none.
const config::CaptureTableConfig* mapping_of(const config::Config& config,
                                             const std::string& index, const std::string& table) {
    if (!config.capture) return nullptr;
    for (const auto& m : config.capture->tables) {
        const pg::CaptureTable t = pg::capture_table(m.table);
        if (m.index == index && (m.table == table || t.name == table)) return &m;
    }
    return nullptr;
}

}  // namespace

CapturePlan capture_plan(const config::Config& config, const RowQueryOf& row_query) {
    CapturePlan plan;
    std::set<pg::CaptureTable> tables;
    std::set<pg::CaptureTable> need_old;
    for (const auto& ix : config.indexes) {
        plan.indexes.push_back({ix.name, pg::query_shape(row_query(ix))});
        pg::QueryShape& shape = plan.indexes.back().shape;
        for (const auto& feed : shape.feeds) {
            const pg::CaptureTable table{feed.table.schema, feed.table.name};
            tables.insert(table);
            if (feed.kind == pg::FeedKind::kChild) need_old.insert(table);
        }
        for (const auto& refusal : shape.refusals) {
            if (!refusal.table.empty() && mapping_of(config, ix.name, refusal.table) != nullptr) {
                continue;  // mapped by hand under capture.tables
            }
            plan.refusals.push_back(fmt::format("index {}: {}{}", ix.name,
                                                refusal.table.empty() ? ""
                                                                      : "table " + refusal.table +
                                                                            ": ",
                                                refusal.reason));
        }
        if (!config.capture) continue;
        for (const auto& m : config.capture->tables) {
            if (m.index != ix.name) continue;
            // A table mapped by hand: its key values go to the given query; every change counts.
            const pg::CaptureTable t = pg::capture_table(m.table);
            pg::TableFeed feed;
            feed.table = {t.schema, t.name, t.name};
            feed.kind = pg::FeedKind::kAssociation;
            feed.association_query = m.query;
            feed.all_columns = true;
            shape.feeds.push_back(std::move(feed));
            tables.insert(t);
        }
    }
    plan.tables.assign(tables.begin(), tables.end());
    plan.need_old_rows.assign(need_old.begin(), need_old.end());
    return plan;
}

}  // namespace kt::workers::capture
