#include "lib/pg/scan_source.hpp"

#include <fmt/format.h>

#include "lib/pg/error.hpp"
#include "lib/pg/query_shape.hpp"

namespace kt::pg {

ScanChoice choose_scan(const IndexSource& index) {
    if (!index.table.empty()) return {ScanOrigin::kTable, {}, {}};
    if (!index.scan_query.empty()) return {ScanOrigin::kGiven, index.scan_query, {}};
    try {
        QueryShape shape = query_shape(index.query);
        if (!shape.scan_query.empty()) {
            return {ScanOrigin::kDerived, std::move(shape.scan_query), {}};
        }
        // A shape with no scan names its reason there, or (the query is not one SELECT, its
        // key names no table) as its first refusal.
        std::string reason = shape.scan_refusal;
        if (reason.empty() && !shape.refusals.empty()) reason = shape.refusals.front().reason;
        if (reason.empty()) reason = "no = ANY($1) condition to take out";
        return {ScanOrigin::kRefused, {}, std::move(reason)};
    } catch (const QueryError& e) {
        return {ScanOrigin::kRefused, {}, e.what()};
    }
}

std::string scan_refusal_message(const IndexSource& index, const ScanChoice& choice) {
    return fmt::format(
        "index '{}': no scan query can be derived from its query: ({}); add scan_query: (a "
        "query returning id and doc for every row, without $1) to read every row",
        index.name, choice.refusal);
}

}  // namespace kt::pg
