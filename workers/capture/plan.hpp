#pragma once

#include <functional>
#include <string>
#include <vector>

#include "lib/config/config.hpp"
#include "lib/pg/capture_setup.hpp"
#include "workers/capture/change_ids.hpp"

namespace kt::workers::capture {

/// What kt-capture reads for a config: each index's shape, the tables to publish, and what it
/// cannot trace. Shared by kt-capture, `kt capture init` and `kt check`.
struct CapturePlan {
    std::vector<IndexFeeds> indexes;  ///< every index of the config, in file order
    std::vector<pg::CaptureTable> tables;  ///< every table they read, once, sorted
    /// `index X: table T: reason` for what cannot be traced (changes there are not captured).
    std::vector<std::string> refusals;
    /// Child tables whose reference to the root must come with deletes and updates: their
    /// REPLICA IDENTITY should be FULL.
    std::vector<pg::CaptureTable> need_old_rows;
};

/// The row query of an index (its `query:`, or the one kt generates for `table:`, which needs
/// the database).
using RowQueryOf = std::function<std::string(const config::IndexConfig&)>;

/// Works out the plan for `config`; throws pg::QueryError when a query does not parse.
[[nodiscard]] CapturePlan capture_plan(const config::Config& config, const RowQueryOf& row_query);

}  // namespace kt::workers::capture
