#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kt::es {

/// What to do with one bulk item after Elasticsearch answered.
enum class Outcome {
    kDone,   ///< written, or a newer version is already there, or a delete found nothing
    kRetry,  ///< 429, 5xx, or no answer: send again later
    kDead,   ///< retrying cannot fix it (mapping error, 400 …): dead-letter it
};

/// Per-item answer of a bulk request.
struct ItemResult {
    Outcome outcome = Outcome::kRetry;
    /// Item HTTP status; 0 when no answer arrived; 200 for every item of an `errors:false` answer.
    int status = 0;
    std::string error_type;    ///< ES `error.type`, e.g. `mapper_parsing_exception`
    std::string error_reason;  ///< ES `error.reason`
};

/// What to fix when an item's error belongs to the index or the cluster rather than to its
/// document: every other document would meet it too, so it is no dead letter. Those are
/// index_not_found_exception (index deleted, auto-create off), index_closed_exception,
/// cluster_block_exception other than 503 (index.blocks.write, read-only after a full disk;
/// a 503 block such as "state not recovered" passes by itself and is retried), 401/403 and
/// security_exception, and an alias that resolves to several indices without a write index.
/// nullopt for any other error. Pure.
[[nodiscard]] std::optional<std::string_view> target_fault(int status, std::string_view error_type,
                                                           std::string_view error_reason);

/// The outcome rule: 2xx done; 409 `version_conflict_engine_exception` done; a delete's 404
/// done; 429 and 5xx retry; any other status dead.
[[nodiscard]] Outcome classify_item(bool is_delete, int status, std::string_view error_type);

/// Per-item results of a 2xx `_bulk` answer, in action order. When `errors` is false only the
/// number of items is checked (fast path). Throws kt::Error when `body` is not a bulk answer
/// for `n_actions` actions (not JSON, no `items`, wrong item count, an item without status).
[[nodiscard]] std::vector<ItemResult> parse_bulk_response(std::string_view body,
                                                          std::size_t n_actions);

}  // namespace kt::es
