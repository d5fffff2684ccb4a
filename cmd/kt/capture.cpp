#include "cmd/kt/capture.hpp"

#include <fmt/format.h>

#include "cmd/kt/reindex.hpp"
#include "lib/app/options_from_config.hpp"
#include "lib/pg/capture_setup.hpp"
#include "lib/pg/error.hpp"
#include "lib/pg/row_loader.hpp"
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
    for (const auto& name : indexes) {
        if (config.find_index(name) == nullptr) {
            fmt::print(stderr, "kt capture init: no index '{}' in {}\n", name, config.path);
            return 2;
        }
    }
    const auto& capture = *config.capture;
    const workers::capture::CapturePlan plan =
        workers::capture::capture_plan(config, [&](const config::IndexConfig& ix) {
            return ix.query.empty() ? pg::RowLoader(app::pg_source(ix), config.postgres.url).sql() : ix.query;
        });
    for (const auto& refusal : plan.refusals) {
        fmt::print(stderr, "kt capture init: {}: changes there are not captured\n", refusal);
    }
    std::string list;
    for (const auto& t : pg::ensure_publication(config.postgres.url, capture.publication,
                                                plan.tables)) {
        list += (list.empty() ? "" : ", ") + t;
    }
    fmt::print("publication {}: {}\n", capture.publication, list);
    const bool created = pg::ensure_slot(config.postgres.url, capture.slot);
    fmt::print("replication slot {}: {}\n", capture.slot, created ? "created" : "already there");
    for (const auto& table : pg::tables_without_full_identity(config.postgres.url,
                                                              plan.need_old_rows)) {
        fmt::print(stderr,
                   "kt capture init: {} is a child table: without its old rows a delete or a "
                   "moved row cannot name the document it leaves (ALTER TABLE {} REPLICA "
                   "IDENTITY FULL)\n",
                   table, table);
    }
    // Every change committed from here on is in the slot; each rebuild reads a later snapshot.
    std::vector<std::string> names = indexes;
    if (names.empty()) {
        for (const auto& ix : config.indexes) names.push_back(ix.name);
    }
    for (const auto& name : names) {
        ReindexArgs args;
        args.index = name;
        if (const int code = run_reindex(config, args, given); code != 0) return code;
    }
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
