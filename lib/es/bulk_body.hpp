#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace kt::es {

/// One document write of a bulk request. Views must outlive the call that takes the action.
struct BulkAction {
    enum class Op { kIndex, kDelete };
    Op op = Op::kIndex;
    std::string_view id;
    /// JSON object text of the document (kIndex only), pasted verbatim, not re-parsed.
    std::string_view source;
    /// When set, sent with `version_type: external_gte` so an older write never wins.
    std::optional<std::int64_t> version;
};

/// Appends `text` JSON-escaped (without quotes) to `out`.
void append_json_escaped(std::string& out, std::string_view text);

/// The NDJSON body of `POST /<index>/_bulk` for `actions`, in order, ending with a newline.
/// Raw line breaks in a source (only ever insignificant whitespace in valid JSON) become spaces
/// so each source stays on one line. Throws kt::Error for an index action with an empty source.
[[nodiscard]] std::string build_bulk_body(std::span<const BulkAction> actions);

}  // namespace kt::es
