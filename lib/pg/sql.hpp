#pragma once

#include <string>
#include <string_view>
#include <vector>

// SQL text that the row loader builds; pure functions, no connection needed.
namespace kt::pg {

/// The PostgreSQL array literal for `ids` (`{"1","a\"b"}`), sent as the text of parameter $1;
/// every element is quoted so no id can change the array's shape.
[[nodiscard]] std::string text_array_literal(const std::vector<std::string>& ids);

/// `table:` value split at its first dot; `schema` is empty for an unqualified name.
struct TableName {
    std::string schema;
    std::string name;
};

/// Splits `schema.table`; names are taken literally (no SQL quoting in the config).
[[nodiscard]] TableName split_table_name(std::string_view table);

/// The row query of the `table:` shorthand. Identifiers must already be quoted; `pk_type` is
/// the key's type as `format_type` prints it. Compares the key with its own type so the
/// primary-key index is used.
[[nodiscard]] std::string table_query(std::string_view quoted_relation, std::string_view quoted_pk,
                                      std::string_view pk_type);

/// A server message on one line: trailing blanks dropped, line breaks folded into " | ".
[[nodiscard]] std::string one_line(std::string_view message);

}  // namespace kt::pg
