#include "workers/reindex/ids.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

#include "lib/es/bulk_client.hpp"
#include "lib/es/curl_transport.hpp"
#include "lib/es/options.hpp"
#include "lib/pg/error.hpp"
#include "lib/pg/row_loader.hpp"
#include "workers/indexer/batch_plan.hpp"

namespace kt::workers {

namespace {

es::Options es_options(const config::Config& config) {
    return es::Options::from_config(config.elasticsearch, config.elasticsearch.compression);
}

/// Loads `ids`, halving around ids the query rejects (as the indexer isolates them).
void load_isolating(pg::RowLoader& loader, std::vector<std::string> ids,
                    std::vector<std::vector<std::string>>& slice_ids,
                    std::vector<pg::LoadResult>& results, std::vector<std::string>& rejected) {
    if (ids.empty()) return;
    try {
        results.push_back(loader.load(ids));
        slice_ids.push_back(std::move(ids));
    } catch (const pg::IdRejected&) {
        if (ids.size() == 1) {
            rejected.push_back(std::move(ids.front()));
            return;
        }
        const auto mid = ids.begin() + static_cast<std::ptrdiff_t>(ids.size() / 2);
        load_isolating(loader, {ids.begin(), mid}, slice_ids, results, rejected);
        load_isolating(loader, {mid, ids.end()}, slice_ids, results, rejected);
    }
}

}  // namespace

IdsResult reindex_ids(const config::Config& config, const config::IndexConfig& index,
                      const std::vector<std::string>& ids, const std::string& target,
                      std::stop_token stop) {
    IdsResult out;
    if (ids.empty()) return out;
    pg::RowLoader loader(index, config.postgres.url);
    es::BulkClientOptions bulk_options;
    bulk_options.bulk_size.max = static_cast<std::size_t>(index.batch_size);
    es::BulkClient bulk(std::make_unique<es::CurlTransport>(es_options(config)), bulk_options);
    const auto chunk = static_cast<std::size_t>(std::max(index.batch_size, 1));
    for (std::size_t at = 0; at < ids.size() && !stop.stop_requested(); at += chunk) {
        std::vector<std::string> batch(
            ids.begin() + static_cast<std::ptrdiff_t>(at),
            ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), at + chunk)));
        std::vector<std::vector<std::string>> slice_ids;
        std::vector<pg::LoadResult> results;
        std::vector<std::string> rejected;
        load_isolating(loader, std::move(batch), slice_ids, results, rejected);
        std::vector<LoadedSlice> slices;
        for (std::size_t i = 0; i < results.size(); ++i) {
            slices.push_back(LoadedSlice{slice_ids[i], &results[i]});
        }
        std::vector<es::BulkAction> actions = plan_actions(slices);
        // No row can have an id the query cannot even take: its document goes, unversioned.
        for (const std::string& id : rejected) {
            actions.push_back({es::BulkAction::Op::kDelete, id, {}, std::nullopt});
        }
        const es::WriteResult written =
            bulk.write(target.empty() ? index.name : target, actions, stop);
        for (std::size_t i = 0; i < actions.size(); ++i) {
            const es::ItemResult& item = written.items[i];
            if (item.outcome == es::Outcome::kDone) {
                ++(actions[i].op == es::BulkAction::Op::kIndex ? out.indexed : out.deleted);
            } else if (item.outcome == es::Outcome::kDead) {
                out.failed.push_back(
                    fmt::format("{}: {} {}", actions[i].id, item.error_type, item.error_reason));
            }
        }
        if (written.stopped) break;
    }
    return out;
}

}  // namespace kt::workers
