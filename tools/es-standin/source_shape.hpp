#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kt::tools::standin {

/// JSON kind of a top-level document field, used for dynamic mapping.
enum class FieldKind { kString, kInteger, kFloat, kBool, kNull, kObject, kArray };

/// What indexing needs to know about a `_source` without building a DOM.
struct SourceShape {
    bool valid = false;       ///< well-formed JSON
    std::string error;        ///< parse error text when not valid
    bool is_object = false;   ///< the top-level value is an object
    std::string first_token;  ///< Jackson-style name of the first token when not an object
    std::vector<std::pair<std::string, FieldKind>> fields;  ///< top-level members in order
};

/// Scans `text` with a SAX parser and reports its shape. Never throws.
SourceShape inspect_source(std::string_view text);

}  // namespace kt::tools::standin
