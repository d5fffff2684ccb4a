#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kt::workers {

/// Differences between an index and its table; ids sorted (numerically when all digits).
struct VerifyReport {
    std::size_t rows = 0;              ///< rows the table has
    std::size_t documents = 0;         ///< documents the index has
    std::vector<std::string> missing;  ///< rows without a document
    std::vector<std::string> extra;    ///< documents without a row
    std::vector<std::string> stale;    ///< documents that differ from their row's document

    /// True when the index equals the table.
    [[nodiscard]] bool clean() const noexcept {
        return missing.empty() && extra.empty() && stale.empty();
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
    /// One row of the table; a repeated id keeps the last document.
    void add_row(std::string id, std::string_view doc_json);
    /// One document of the index; call after every add_row.
    void add_document(std::string_view id, std::string_view source_json);
    /// The differences; the comparison is spent afterwards.
    [[nodiscard]] VerifyReport finish();

private:
    struct Expected {
        std::uint64_t hash = 0;
        bool seen = false;
    };
    std::unordered_map<std::string, Expected> rows_;
    VerifyReport report_;
};

/// Sorts ids for display: all-digit ids numerically, before the others, which sort as text.
void sort_ids(std::vector<std::string>& ids);

}  // namespace kt::workers
