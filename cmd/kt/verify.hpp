#pragma once

#include <cstdio>
#include <string>

#include "cmd/kt/suggest.hpp"
#include "lib/config/config.hpp"
#include "workers/verify/comparison.hpp"

namespace kt::cmd {

/// Prints `report` for `index`: the row and document counts, then the missing, extra and stale
/// counts with up to `examples` ids each; a command it suggests repeats `given`.
void print_verify_report(std::FILE* out, const std::string& index,
                         const workers::VerifyReport& report, const GlobalOptions& given = {},
                         std::size_t examples = 5);

/// `kt verify INDEX [--fix]`: compares every row with the index and prints the differences;
/// with `fix`, re-indexes missing and stale ids and deletes extra ones through the indexer's
/// code path, then compares again and prints what still differs. Returns the exit code: 0 the
/// index equals the table (with `fix`: after the repair), 1 it differs or a service failed, 2
/// unknown index or no scan for it. The commands it suggests repeat `given`.
int run_verify(const config::Config& config, const std::string& index, bool fix,
               const GlobalOptions& given = {});

}  // namespace kt::cmd
