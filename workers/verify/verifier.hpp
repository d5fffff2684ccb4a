#pragma once

#include <cstddef>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "lib/config/config.hpp"
#include "lib/es/bulk_client.hpp"
#include "lib/es/index_admin.hpp"
#include "lib/pg/row_loader.hpp"
#include "workers/reindex/ids.hpp"
#include "workers/verify/comparison.hpp"

namespace kt::workers {

/// `kt verify`: compares every row of an index's table (RowScanner) with every document behind
/// its alias (IndexScanner, after a refresh). The table side is held as id plus hash; the index
/// side streams. Exact when the table is not written meanwhile: a row changed during the run
/// may show as stale. An alias that does not exist is an empty index (every row missing); fix
/// creates it as the indexer does. Throws pg::PgError and kt::EsError / kt::TransientError.
class Verifier {
public:
    Verifier(const config::Config& config, const config::IndexConfig& index);

    /// Scans both sides and returns their differences.
    VerifyReport compare();
    /// Repairs `report`: re-indexes its missing and stale ids, deletes its extra ones.
    IdsResult fix(const VerifyReport& report, std::stop_token stop = {});

private:
    const config::Config& config_;
    const config::IndexConfig& index_;
};

}  // namespace kt::workers
