#include "lib/pg/sql.hpp"

#include <fmt/format.h>

namespace kt::pg {

std::string text_array_literal(const std::vector<std::string>& ids) {
    std::size_t size = 2;
    for (const std::string& id : ids) size += id.size() + 3;
    std::string out;
    out.reserve(size + 8);
    out.push_back('{');
    bool first = true;
    for (const std::string& id : ids) {
        if (!first) out.push_back(',');
        first = false;
        out.push_back('"');
        for (const char c : id) {
            if (c == '"' || c == '\\') out.push_back('\\');
            out.push_back(c);
        }
        out.push_back('"');
    }
    out.push_back('}');
    return out;
}

TableName split_table_name(std::string_view table) {
    const std::size_t dot = table.find('.');
    if (dot == std::string_view::npos) return {"", std::string(table)};
    return {std::string(table.substr(0, dot)), std::string(table.substr(dot + 1))};
}

std::string table_query(std::string_view quoted_relation, std::string_view quoted_pk,
                        std::string_view pk_type) {
    return fmt::format(
        "SELECT t.{pk}::text AS id, to_jsonb(t)::text AS doc FROM {rel} t "
        "WHERE t.{pk} = ANY($1::{type}[])",
        fmt::arg("pk", quoted_pk), fmt::arg("rel", quoted_relation), fmt::arg("type", pk_type));
}

std::string one_line(std::string_view message) {
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ' ||
                                message.back() == '\r' || message.back() == '\t')) {
        message.remove_suffix(1);
    }
    std::string out;
    out.reserve(message.size());
    bool line_start = false;
    for (const char c : message) {
        if (c == '\n') {
            out += " | ";
            line_start = true;
        } else if (c == '\t' && line_start) {
            // libpq indents its hints with a tab ("\n\tIs the server running …?").
        } else if (c != '\r') {
            out.push_back(c);
            line_start = false;
        }
    }
    return out;
}

}  // namespace kt::pg
