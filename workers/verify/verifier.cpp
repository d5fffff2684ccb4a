#include "workers/verify/verifier.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string_view>
#include <utility>

#include "lib/app/options_from_config.hpp"
#include "lib/es/bulk_client.hpp"
#include "lib/es/curl_transport.hpp"
#include "lib/es/index_scanner.hpp"
#include "lib/es/options.hpp"
#include "lib/pg/error.hpp"
#include "lib/pg/row_scanner.hpp"
#include "workers/common/batch_plan.hpp"

namespace kt::workers {

namespace {

es::Options es_options(const config::Config& config) {
    return app::es_options(config.elasticsearch);
}

}  // namespace

Verifier::Verifier(const config::Config& config, const config::IndexConfig& index)
    : config_(config), index_(index) {}

VerifyReport Verifier::compare() {
    pg::RowScanner rows(app::pg_source(index_), config_.postgres.url);
    // The table is read first; its count then bounds every version kt can have written so far.
    IndexComparison comparison(rows.transaction_count());
    (void)rows.scan(pg::ScanRequest{}, [&](std::span<const pg::Row> chunk) {
        for (const pg::Row& row : chunk) comparison.add_row(row.id, row.doc);
    });
    es::IndexAdmin admin(std::make_unique<es::CurlTransport>(es_options(config_)));
    // No alias yet: an index with no documents (every row is missing).
    if (!admin.alias_exists(index_.name)) return comparison.finish();
    admin.refresh(index_.name);
    es::IndexScanner documents(admin.transport());
    (void)documents.scan(index_.name, [&](std::span<const es::ScannedDocument> page) {
        for (const es::ScannedDocument& doc : page) {
            comparison.add_document(doc.id, doc.source, doc.version);
        }
    });
    return comparison.finish(rows.transaction_count());
}

IdsResult Verifier::fix(const VerifyReport& report, std::stop_token stop) {
    std::vector<std::string> ids;
    ids.reserve(report.missing.size() + report.stale.size() + report.extra.size() +
                report.foreign.size());
    ids.insert(ids.end(), report.missing.begin(), report.missing.end());
    ids.insert(ids.end(), report.stale.begin(), report.stale.end());
    ids.insert(ids.end(), report.extra.begin(), report.extra.end());
    // A document written outside kt is rewritten even when its content is right, so that kt's
    // later writes of it are not refused.
    for (const ForeignDocument& doc : report.foreign) ids.push_back(doc.id);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    if (ids.empty()) return {};
    {
        es::IndexAdmin admin(std::make_unique<es::CurlTransport>(es_options(config_)));
        (void)admin.ensure_alias(index_.name, index_.mappings_file,
                                 std::chrono::system_clock::now());
    }
    IdsResult out = reindex_ids(config_, index_, ids, {}, stop);
    // An extra document whose id the query cannot take (`abc` for a bigint key) belongs to no
    // row: it is deleted outright, with no version (no snapshot speaks for it).
    const std::set<std::string_view> extra(report.extra.begin(), report.extra.end());
    std::vector<es::BulkAction> orphans;
    std::vector<RejectedId> still_rejected;
    for (const RejectedId& rejected : out.rejected) {
        if (extra.count(rejected.id) > 0) {
            orphans.push_back({es::BulkAction::Op::kDelete, rejected.id, {}, std::nullopt});
        } else {
            still_rejected.push_back(rejected);
        }
    }
    if (!orphans.empty() && !stop.stop_requested()) {
        es::BulkClient bulk(std::make_unique<es::CurlTransport>(es_options(config_)));
        const es::WriteResult written = bulk.write(index_.name, orphans, stop);
        for (std::size_t i = 0; i < orphans.size() && i < written.items.size(); ++i) {
            if (written.items[i].outcome == es::Outcome::kDone) {
                ++out.deleted;
            } else {
                still_rejected.push_back(
                    {std::string(orphans[i].id),
                     fmt::format("delete refused: {} {}", written.items[i].error_type,
                                 written.items[i].error_reason)});
            }
        }
    }
    out.rejected = std::move(still_rejected);
    return out;
}

}  // namespace kt::workers
