#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kt::workers {

/// A document whose version kt could not have written (read_version says kForeign).
struct ForeignDocument {
    std::string id;
    std::int64_t version = 0;
    /// Above any version PostgreSQL's count gives: kt cannot overwrite it (a full reindex can).
    bool ahead = false;
};

/// Differences between an index and its table; ids sorted (numerically when all digits).
struct VerifyReport {
    std::size_t rows = 0;              ///< rows the table has
    std::size_t documents = 0;         ///< documents the index has
    std::vector<std::string> missing;  ///< rows without a document
    std::vector<std::string> extra;    ///< documents without a row
    std::vector<std::string> stale;    ///< documents that differ from their row's document
    /// Documents written outside kt (another writer changed them after kt, or set its own
    /// external version), whatever their content: kt's later writes of them meet a conflict.
    std::vector<ForeignDocument> foreign;

    /// True when the index equals the table and every document carries one of kt's versions.
    [[nodiscard]] bool clean() const noexcept {
        return missing.empty() && extra.empty() && stale.empty() && foreign.empty();
    }
};

/// The canonical text of a JSON value: object keys sorted, no insignificant whitespace, so two
/// documents are equal as JSON values exactly when their canonical texts are equal. Text that
/// is not JSON is returned unchanged (it then equals only itself).
[[nodiscard]] std::string canonical_json(std::string_view text);

/// Compares the rows of a table with the documents of an index, both given in any order. Only
/// the table side is held in memory (id plus a 64-bit hash of the canonical document); the
/// index side streams through. Pure: no I/O.
class IndexComparison {
public:
    /// Versions are read (read_version) against `transaction_count`, PostgreSQL's count before
    /// the index is read; nullopt reads no versions.
    explicit IndexComparison(std::optional<std::int64_t> transaction_count = std::nullopt)
        : transaction_count_(transaction_count) {}

    /// One row of the table; a repeated id keeps the last document.
    void add_row(std::string id, std::string_view doc_json);
    /// One document of the index, with its `_version` when known; call after every add_row.
    void add_document(std::string_view id, std::string_view source_json,
                      std::optional<std::int64_t> version = std::nullopt);
    /// The differences; the comparison is spent afterwards. `transaction_count_after`, read
    /// once the index is read, settles versions ahead of the first count: kt may have written
    /// them meanwhile.
    [[nodiscard]] VerifyReport finish(
        std::optional<std::int64_t> transaction_count_after = std::nullopt);

private:
    struct Expected {
        std::uint64_t hash = 0;
        bool seen = false;
    };
    std::unordered_map<std::string, Expected> rows_;
    std::optional<std::int64_t> transaction_count_;
    std::vector<ForeignDocument> maybe_ahead_;  ///< ahead of the first count: settled at finish
    VerifyReport report_;
};

/// Sorts ids for display: all-digit ids numerically, before the others, which sort as text.
void sort_ids(std::vector<std::string>& ids);

}  // namespace kt::workers
