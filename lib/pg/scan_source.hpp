#pragma once

#include <string>

#include "lib/pg/source.hpp"

// Which query reads every row of an index (kt reindex, kt verify, kt capture init). Pure:
// parsing only, no connection.
namespace kt::pg {

/// Where the full scan of an index comes from.
enum class ScanOrigin {
    kTable,    ///< `table:`: generated from the table's key once connected
    kGiven,    ///< `scan_query:` as written (an override of the derived one)
    kDerived,  ///< the `query:` with its `= ANY($1)` condition taken out (query_shape)
    kRefused,  ///< `query:` alone, and no scan query can be derived from it
};

/// The scan of one index, or why there is none.
struct ScanChoice {
    ScanOrigin origin = ScanOrigin::kTable;
    std::string sql;      ///< kGiven, kDerived: the scan query; empty otherwise
    std::string refusal;  ///< kRefused: why the query gives no scan query
};

/// The scan of `index`: `table:` first, then `scan_query:`, then the scan query derived from
/// `query:`. Never throws: a query that does not parse is a refusal.
[[nodiscard]] ScanChoice choose_scan(const IndexSource& index);

/// `index 'NAME': its query: gives no scan query (REASON); add scan_query: …`: what kt check,
/// kt reindex and kt verify say for a kRefused choice.
[[nodiscard]] std::string scan_refusal_message(const IndexSource& index,
                                               const ScanChoice& choice);

}  // namespace kt::pg
