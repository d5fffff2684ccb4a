#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/es-standin/api_error.hpp"
#include "tools/es-standin/versioning.hpp"

namespace kt::tools::standin {

/// The four bulk actions.
enum class BulkOp { kIndex, kCreate, kDelete, kUpdate };

/// One parsed bulk action with its source line.
struct BulkItem {
    BulkOp op = BulkOp::kIndex;
    std::string index;
    std::optional<std::string> id;
    WriteConditions conditions;
    bool require_alias = false;
    std::string source;             ///< document line for index/create
    Json update;                    ///< parsed body for update
    Json source_filter;             ///< `_source` of an update action (null when absent)
    std::optional<ApiError> error;  ///< item-level failure found while parsing
};

/// Request-level defaults from the URL: `/{index}/_bulk`, `require_alias`.
struct BulkDefaults {
    std::string index;
    bool require_alias = false;
};

/// Name of a bulk action as it appears in requests and responses.
const char* bulk_op_name(BulkOp op);
/// Splits and parses an NDJSON bulk body. Throws ApiError for request-level failures
/// (malformed action lines, missing trailing newline, validation), exactly as Elasticsearch
/// rejects the whole request; item-level problems are left in `BulkItem::error`. Pure.
std::vector<BulkItem> parse_bulk(std::string_view body, const BulkDefaults& defaults);

}  // namespace kt::tools::standin
