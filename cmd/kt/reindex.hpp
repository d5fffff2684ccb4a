#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cmd/kt/suggest.hpp"
#include "lib/config/config.hpp"

namespace kt::cmd {

/// Arguments of `kt reindex`.
struct ReindexArgs {
    std::string index;
    std::optional<int> parallel;  ///< `--parallel N` when given (default 1)
    int batch_size = 0;           ///< 0: the index's batch_size
    bool keep_old = false;
    bool no_swap = false;
    std::optional<std::string> ids;       ///< `--ids 1,2,3`: re-index just these in place
    std::optional<std::string> ids_file;  ///< `--ids-file`: ids separated by commas or line breaks
    /// Not an option: a snapshot exported by another session for the full rebuild to read
    /// (`kt capture init` passes its slot's; workers::ReindexOptions::snapshot_id).
    std::string snapshot_id;
};

/// Why `args` make no sense together (nullopt when they do): `--ids` or `--ids-file` with an
/// option of the full rebuild (`--parallel`, `--keep-old`, `--no-swap`), or an `--ids` that
/// names no id. Pure.
[[nodiscard]] std::optional<std::string> reindex_usage_error(const ReindexArgs& args);

/// `kt reindex`: a full zero-downtime rebuild, or with ids only those ids in place. Ctrl-C
/// before the alias moves deletes the new index. Returns the exit code: 0 done, 1 failed or
/// interrupted, 2 a usage error (reindex_usage_error), unknown index, no scan for it, an
/// unreadable ids file or no id in the ids given. The commands it suggests repeat `given`.
int run_reindex(const config::Config& config, const ReindexArgs& args,
                const GlobalOptions& given = {});

}  // namespace kt::cmd
