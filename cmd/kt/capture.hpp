#pragma once

#include <string>
#include <vector>

#include "cmd/kt/suggest.hpp"
#include "lib/config/config.hpp"

namespace kt::cmd {

/// `kt capture init [INDEX…]`: creates (or updates) the publication for exactly the tables the
/// indexes read and the slot, then rebuilds the named indexes (default: every one) with
/// `kt reindex`, from a snapshot taken after the slot began: every change committed since is
/// in the slot, every one before in the snapshot, so nothing falls between. Returns the exit
/// code: 0 done, 1 failed, 2 no `capture:` section or an unknown index.
int run_capture_init(const config::Config& config, const std::vector<std::string>& indexes,
                     const GlobalOptions& given = {});

/// `kt capture drop`: removes the slot (refused while kt-capture reads it) and the publication.
int run_capture_drop(const config::Config& config);

}  // namespace kt::cmd
