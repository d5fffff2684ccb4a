#pragma once

#include <string>

namespace kt::pg {

/// Where one index's rows come from: exactly one of `query` and `table` is set.
struct IndexSource {
    std::string name;        ///< the index's name, for messages
    std::string query;       ///< `$1` is a text[] of ids; returns columns id and doc
    std::string table;       ///< `table:` shorthand, doc = the whole row
    std::string scan_query;  ///< with `query`: id and doc of every row, no parameter
};

/// One cascade's association query.
struct CascadeSource {
    std::string name;   ///< the cascade's name, for messages
    std::string query;  ///< `$1` is a text[] of parent ids; returns child ids (first column)
};

}  // namespace kt::pg
