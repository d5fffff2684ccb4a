#pragma once

#include <string>
#include <vector>

#include "lib/config/config.hpp"

namespace kt::cmd {

/// Arguments of `kt reindex`.
struct ReindexArgs {
    std::string index;
    int parallel = 1;
    int batch_size = 0;  ///< 0: the index's batch_size
    bool keep_old = false;
    bool no_swap = false;
    std::string ids;       ///< `--ids 1,2,3`: re-index just these in place
    std::string ids_file;  ///< `--ids-file`: ids separated by commas or line breaks
};

/// `kt reindex`: a full zero-downtime rebuild, or with ids only those ids in place. Ctrl-C
/// before the alias moves deletes the new index. Returns the exit code: 0 done, 1 failed or
/// interrupted, 2 unknown index, no scan for it, or an unreadable ids file.
int run_reindex(const config::Config& config, const ReindexArgs& args);

}  // namespace kt::cmd
