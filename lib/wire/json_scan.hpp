#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace kt::wire {

/// Deepest nesting of objects and arrays kt reads, as simdjson's default (1024 levels).
inline constexpr std::size_t kMaxJsonDepth = 1024;

/// What a top-level member holds, as written.
enum class MemberKind {
    kAbsent,   ///< no such member (or the top level is not an object)
    kInteger,  ///< an integer token of any length: `42`, `-7`, `123456789012345678901234567890`
    kNumber,   ///< any other number: `1.5`, `1e3`
    kString,
    kOther,  ///< null, true, false, an object or an array
};

/// Result of scan_json.
struct JsonScan {
    bool ok = false;
    std::string error;       ///< when not ok: why the text is not JSON kt reads
    bool is_object = false;  ///< the top-level value is an object
    MemberKind kind = MemberKind::kAbsent;
    /// kInteger and kNumber: the token as written; kString: the unescaped content.
    std::string value;
};

/// Reads a whole JSON text strictly (RFC 8259, valid UTF-8, at most kMaxJsonDepth levels, no
/// number beyond a double's range) and reports the first top-level member named `member`.
/// Unlike simdjson, it accepts integers of any length, so it is the fallback for texts simdjson
/// refuses over a number. Iterative: deep nesting cannot exhaust the stack. Never throws.
[[nodiscard]] JsonScan scan_json(std::string_view text, std::string_view member);

}  // namespace kt::wire
