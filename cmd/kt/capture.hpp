#pragma once

#include <string>
#include <vector>

#include "cmd/kt/suggest.hpp"
#include "lib/config/config.hpp"

namespace kt::cmd {

/// `kt capture init [INDEX…]`: creates (or updates) the publication for exactly the tables the
/// indexes read, then creates the slot with an exported snapshot (pg::SlotSnapshot) and rebuilds
/// the named indexes (default: every one) with `kt reindex` reading that very snapshot, so that
/// streaming starts exactly where the snapshot ends. When the slot exists already, each rebuild
/// reads a new snapshot taken after the slot's position (nothing falls between; changes in
/// between arrive twice). Returns the exit code: 0 done, 1 failed, 2 no `capture:` section, an
/// unknown index or an index with no scan query.
int run_capture_init(const config::Config& config, const std::vector<std::string>& indexes,
                     const GlobalOptions& given = {});

/// `kt capture drop`: removes the slot (refused while kt-capture reads it) and the publication.
int run_capture_drop(const config::Config& config);

}  // namespace kt::cmd
