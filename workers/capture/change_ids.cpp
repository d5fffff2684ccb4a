#include "workers/capture/change_ids.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>

namespace kt::workers::capture {
namespace {

using pg::pgoutput::Tuple;
using pg::pgoutput::Value;

std::optional<std::size_t> column_index(const pg::pgoutput::Relation& relation,
                                        const std::string& name) {
    for (std::size_t i = 0; i < relation.columns.size(); ++i) {
        if (relation.columns[i].name == name) return i;
    }
    return std::nullopt;
}

bool reads(const pg::TableFeed& feed, const pg::pgoutput::Relation& relation) {
    return feed.table.name == relation.name &&
           (feed.table.schema.empty() || feed.table.schema == relation.schema);
}

/// The value of column `i` in `row`; an unchanged TOASTed value is taken from `old_row`.
std::optional<std::string> value_at(const Tuple* row, const Tuple* old_row, std::size_t i) {
    if (row == nullptr || i >= row->size()) return std::nullopt;
    const Value& v = (*row)[i];
    if (v.kind == Value::Kind::kUnchanged) return value_at(old_row, nullptr, i);
    if (v.kind == Value::Kind::kNull) return std::nullopt;
    return v.data;
}

/// With the whole old row at hand: did any column the query reads change?
bool changes_what_is_read(const pg::TableFeed& feed, const pg::pgoutput::Relation& relation,
                          const Tuple& old_row, const Tuple& row) {
    if (feed.all_columns) return true;
    for (const auto& name : feed.columns) {
        const auto i = column_index(relation, name);
        if (!i || *i >= row.size() || *i >= old_row.size()) return true;
        if (row[*i].kind == Value::Kind::kUnchanged) continue;
        if (!(row[*i] == old_row[*i])) return true;
    }
    return false;
}

}  // namespace

ChangeMapper::ChangeMapper(std::vector<IndexFeeds> indexes) : indexes_(std::move(indexes)) {}

void ChangeMapper::relation(const pg::pgoutput::Relation& relation) {
    Known known{relation, {}};
    for (std::size_t i = 0; i < indexes_.size(); ++i) {
        for (const auto& feed : indexes_[i].shape.feeds) {
            if (reads(feed, relation)) known.feeds.emplace_back(i, &feed);
        }
    }
    relations_[relation.oid] = std::move(known);
}

std::string ChangeMapper::table_name(std::uint32_t oid) const {
    const auto it = relations_.find(oid);
    if (it == relations_.end()) return std::to_string(oid);
    return it->second.relation.schema + "." + it->second.relation.name;
}

ChangeIds ChangeMapper::map(const pg::pgoutput::Message& change) const {
    std::uint32_t oid = 0;
    const Tuple* old_row = nullptr;
    const Tuple* new_row = nullptr;
    bool full_old_row = false;
    if (const auto* insert = std::get_if<pg::pgoutput::Insert>(&change)) {
        oid = insert->relation;
        new_row = &insert->row;
    } else if (const auto* update = std::get_if<pg::pgoutput::Update>(&change)) {
        oid = update->relation;
        new_row = &update->row;
        if (update->old_kind != pg::pgoutput::OldRow::kNone) old_row = &update->old_row;
        full_old_row = update->old_kind == pg::pgoutput::OldRow::kFull;
    } else if (const auto* del = std::get_if<pg::pgoutput::Delete>(&change)) {
        oid = del->relation;
        old_row = &del->old_row;
    } else {
        return {};
    }
    const auto it = relations_.find(oid);
    if (it == relations_.end()) {
        throw pg::pgoutput::ProtocolError(
            fmt::format("pgoutput {}: a change of relation {} before its Relation message",
                        pg::pgoutput::name_of(change), oid));
    }
    ChangeIds out;
    for (const auto& [index, feed] : it->second.feeds) {
        if (full_old_row && !changes_what_is_read(*feed, it->second.relation, *old_row, *new_row)) {
            continue;
        }
        map_feed(index, *feed, it->second, old_row, new_row, out);
    }
    return out;
}

void ChangeMapper::map_feed(std::size_t index, const pg::TableFeed& feed, const Known& known,
                            const Tuple* old_row, const Tuple* new_row, ChangeIds& out) const {
    // An explicit mapping names no column: the table's key (its first replica identity column).
    std::optional<std::size_t> column;
    if (feed.column.empty()) {
        const auto& cols = known.relation.columns;
        const auto key =
            std::find_if(cols.begin(), cols.end(), [](const auto& c) { return c.key; });
        if (key != cols.end()) column = static_cast<std::size_t>(key - cols.begin());
    } else {
        column = column_index(known.relation, feed.column);
    }
    if (!column) {
        out.unmapped.push_back(fmt::format("index {}: table {}.{} has no column {}",
                                           indexes_[index].index, known.relation.schema,
                                           known.relation.name,
                                           feed.column.empty() ? "in its key" : feed.column));
        return;
    }
    std::set<std::string> values;
    if (auto v = value_at(new_row, old_row, *column)) values.insert(std::move(*v));
    if (auto v = value_at(old_row, nullptr, *column)) values.insert(std::move(*v));
    if (new_row == nullptr && values.empty() && !known.relation.columns[*column].key) {
        out.unmapped.push_back(fmt::format(
            "index {}: a delete from {}.{} carries no {} (its replica identity sends the key "
            "only: ALTER TABLE {}.{} REPLICA IDENTITY FULL)",
            indexes_[index].index, known.relation.schema, known.relation.name, feed.column,
            pg::quote_identifier(known.relation.schema),
            pg::quote_identifier(known.relation.name)));
        return;
    }
    if (values.empty()) return;
    if (feed.kind == pg::FeedKind::kAssociation) {
        out.lookups.push_back({index, feed.association_query, {values.begin(), values.end()}});
        return;
    }
    for (const auto& v : values) out.ids.push_back({index, v});
}

std::vector<std::size_t> ChangeMapper::truncated(const pg::pgoutput::Truncate& truncate) const {
    std::set<std::size_t> out;
    for (const auto oid : truncate.relations) {
        const auto it = relations_.find(oid);
        if (it == relations_.end()) continue;
        for (const auto& [index, feed] : it->second.feeds) out.insert(index);
    }
    return {out.begin(), out.end()};
}

}  // namespace kt::workers::capture
