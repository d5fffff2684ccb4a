#include "cmd/kt/capture.hpp"

#include <fmt/format.h>

#include <optional>

#include "cmd/kt/reindex.hpp"
#include "lib/app/options_from_config.hpp"
#include "lib/pg/capture_setup.hpp"
#include "lib/pg/error.hpp"
#include "lib/pg/row_loader.hpp"
#include "lib/pg/scan_source.hpp"
#include "lib/pg/slot_snapshot.hpp"
#include "workers/capture/plan.hpp"

namespace kt::cmd {
namespace {

bool has_capture(const config::Config& config, const char* command) {
    if (config.capture) return true;
    fmt::print(stderr, "kt capture {}: {} has no capture: section (see docs/configuration.md)\n",
               command, config.path);
    return false;
}

}  // namespace

int run_capture_init(const config::Config& config, const std::vector<std::string>& indexes,
                     const GlobalOptions& given) {
    if (!has_capture(config, "init")) return 2;
    std::vector<std::string> names = indexes;
    if (names.empty()) {
        for (const auto& ix : config.indexes) names.push_back(ix.name);
    }
    for (const auto& name : names) {
        const config::IndexConfig* index = config.find_index(name);
        if (index == nullptr) {
            fmt::print(stderr, "kt capture init: no index '{}' in {}\n", name, config.path);
            return 2;
        }
        const pg::IndexSource source = app::pg_source(*index);
        if (const pg::ScanChoice scan = pg::choose_scan(source);
            scan.origin == pg::ScanOrigin::kRefused) {
            fmt::print(stderr, "kt capture init: {}\n", pg::scan_refusal_message(source, scan));
            return 2;
        }
    }
    const auto& capture = *config.capture;
    const std::string& url = config.postgres.url;
    const workers::capture::CapturePlan plan =
        workers::capture::capture_plan(config, [&](const config::IndexConfig& ix) {
            return ix.query.empty() ? pg::RowLoader(app::pg_source(ix), url).sql() : ix.query;
        });
    for (const auto& refusal : plan.refusals) {
        fmt::print(stderr, "kt capture init: {}: changes there are not captured\n", refusal);
    }
    std::string list;
    for (const auto& t : pg::ensure_publication(url, capture.publication, plan.tables)) {
        list += (list.empty() ? "" : ", ") + t;
    }
    fmt::print("publication {}: {}\n", capture.publication, list);
    // The hand-over: the slot streams every transaction that commits after its consistent
    // point, and its exported snapshot holds every one before; the indexes are built from that
    // snapshot while the replication connection keeps it importable.
    std::optional<pg::SlotSnapshot> handover;
    if (pg::slot_state(url, capture.slot)) {
        fmt::print("replication slot {}: already there: each index is rebuilt from a new "
                   "snapshot, taken after the slot's position (changes in between arrive "
                   "again, which is harmless)\n",
                   capture.slot);
    } else {
        handover.emplace(url, capture.slot);
        fmt::print("replication slot {}: created, streaming from {}, with snapshot {}\n",
                   capture.slot, handover->consistent_point(), handover->snapshot_id());
    }
    for (const auto& table : pg::tables_without_full_identity(url, plan.need_old_rows)) {
        fmt::print(stderr,
                   "kt capture init: {} is a child table: without its old rows a delete or a "
                   "moved row cannot name the document it leaves (ALTER TABLE {} REPLICA "
                   "IDENTITY FULL)\n",
                   table, table);
    }
    for (const auto& name : names) {
        ReindexArgs args;
        args.index = name;
        if (handover) args.snapshot_id = handover->snapshot_id();
        if (const int code = run_reindex(config, args, given); code != 0) {
            fmt::print(stderr,
                       "kt capture init: index {} was not rebuilt; the slot stays: run kt "
                       "capture init again (it rebuilds from new snapshots)\n",
                       name);
            return code;
        }
        if (handover) {
            fmt::print("index {}: built from the slot's snapshot {} (every transaction committed "
                       "before {})\n",
                       name, handover->snapshot_id(), handover->consistent_point());
        } else {
            fmt::print("index {}: built from a new snapshot, taken after the slot began\n", name);
        }
    }
    if (handover) handover->release();
    fmt::print("capture is ready: start kt-capture --config {}\n", config.path);
    return 0;
}

int run_capture_drop(const config::Config& config) {
    if (!has_capture(config, "drop")) return 2;
    const auto dropped =
        pg::drop_capture(config.postgres.url, config.capture->slot, config.capture->publication);
    for (const auto& line : dropped) fmt::print("dropped {}\n", line);
    if (dropped.empty()) fmt::print("nothing to drop\n");
    return 0;
}

}  // namespace kt::cmd
