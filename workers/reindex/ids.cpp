#include "workers/reindex/ids.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <utility>

#include "lib/app/options_from_config.hpp"
#include "lib/es/bulk_client.hpp"
#include "lib/es/curl_transport.hpp"
#include "lib/es/options.hpp"
#include "lib/pg/row_loader.hpp"
#include "workers/common/isolating_load.hpp"
#include "workers/common/batch_plan.hpp"

namespace kt::workers {

namespace {

es::Options es_options(const config::Config& config) {
    return app::es_options(config.elasticsearch);
}

}  // namespace

IdsResult reindex_ids(const config::Config& config, const config::IndexConfig& index,
                      const std::vector<std::string>& ids, const std::string& target,
                      std::stop_token stop) {
    IdsResult out;
    if (ids.empty()) return out;
    pg::RowLoader loader(app::pg_source(index), config.postgres.url);
    es::BulkClientOptions bulk_options;
    bulk_options.bulk_size.max = static_cast<std::size_t>(index.batch_size);
    es::BulkClient bulk(std::make_unique<es::CurlTransport>(es_options(config)), bulk_options);
    const auto chunk = static_cast<std::size_t>(std::max(index.batch_size, 1));
    const std::string into = target.empty() ? index.name : target;
    const RepairIo repair_io{
        [&] { loader.advance(); },
        [&](const std::vector<std::string>& some) { return loader.load(some); },
        [&](std::span<const es::BulkAction> some) { return bulk.write(into, some, stop); }};
    loader.advance();
    for (std::size_t at = 0; at < ids.size() && !stop.stop_requested(); at += chunk) {
        std::vector<std::string> batch(
            ids.begin() + static_cast<std::ptrdiff_t>(at),
            ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), at + chunk)));
        IsolatedLoad loaded =
            load_isolating(std::move(batch),
                           [&](const std::vector<std::string>& some) { return loader.load(some); });
        // An id the query rejects is reported, never turned into a delete: the query, not the
        // table, decided that, so nothing is known about its document.
        out.rejected.insert(out.rejected.end(), loaded.rejected.begin(), loaded.rejected.end());
        std::vector<LoadedSlice> slices;
        for (std::size_t i = 0; i < loaded.results.size(); ++i) {
            slices.push_back(LoadedSlice{loaded.slice_ids[i], &loaded.results[i]});
        }
        const std::vector<es::BulkAction> actions = plan_actions(slices);
        if (actions.empty()) continue;
        const es::WriteResult written = bulk.write(into, actions, stop);
        const ForeignConflicts foreign = foreign_conflicts(actions, written.items);
        for (std::size_t i = 0; i < actions.size(); ++i) {
            const es::ItemResult& item = written.items[i];
            if (foreign.at[i]) continue;
            if (item.outcome == es::Outcome::kDone) {
                ++(actions[i].op == es::BulkAction::Op::kIndex ? out.indexed : out.deleted);
            } else if (item.outcome == es::Outcome::kDead) {
                out.failed.push_back(
                    fmt::format("{}: {} {}", actions[i].id, item.error_type, item.error_reason));
            }
        }
        if (written.stopped) break;
        if (foreign.list.empty()) continue;
        out.foreign += foreign.list.size();
        RepairResult repaired = repair_documents(foreign.ids(), repair_io);
        out.indexed += repaired.indexed;
        out.deleted += repaired.deleted;
        out.rejected.insert(out.rejected.end(), repaired.rejected.begin(), repaired.rejected.end());
        for (const auto& [id, item] : repaired.dead) {
            out.failed.push_back(fmt::format("{}: {} {}", id, item.error_type, item.error_reason));
        }
        out.unrepaired.insert(out.unrepaired.end(), repaired.left.begin(), repaired.left.end());
        if (repaired.stopped) break;
    }
    return out;
}

}  // namespace kt::workers
