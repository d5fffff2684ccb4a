#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lib/non_copyable.hpp"
#include "lib/pg/pgoutput.hpp"
#include "lib/pg/query_shape.hpp"

/// kt-capture's pure decision code: which document ids a committed row change touches.
namespace kt::workers::capture {

/// One index as kt-capture sees it: its name and the shape of its query.
struct IndexFeeds {
    std::string index;
    pg::QueryShape shape;
};

/// A document id of one index (by position in the list given to ChangeMapper).
struct IndexId {
    std::size_t index = 0;
    std::string id;

    friend bool operator==(const IndexId&, const IndexId&) = default;
};

/// Ids that an association query finds: run `query` with `values` as $1.
struct Lookup {
    std::size_t index = 0;
    std::string query;
    std::vector<std::string> values;

    friend bool operator==(const Lookup&, const Lookup&) = default;
};

/// What one change means for the indexes.
struct ChangeIds {
    std::vector<IndexId> ids;
    std::vector<Lookup> lookups;
    /// Changes that touch an index but cannot be mapped (an old value the replica identity
    /// does not carry), one line each naming the index, table and column.
    std::vector<std::string> unmapped;
};

/// Maps pgoutput changes to ids, remembering the Relation messages it is shown. Neither copied
/// nor moved: it holds pointers into its own indexes.
class ChangeMapper : private NonCopyable {
public:
    explicit ChangeMapper(std::vector<IndexFeeds> indexes);

    /// Remembers a table's columns (sent before its first change, and again after DDL).
    void relation(const pg::pgoutput::Relation& relation);
    /// The ids an Insert, Update or Delete touches. Throws pg::pgoutput::ProtocolError for a
    /// change of a relation it was not shown.
    [[nodiscard]] ChangeIds map(const pg::pgoutput::Message& change) const;
    /// The indexes (positions) a TRUNCATE of these relations empties in part or whole.
    [[nodiscard]] std::vector<std::size_t> truncated(const pg::pgoutput::Truncate& truncate) const;
    /// `schema.name` of a relation it was shown; the oid in decimal otherwise.
    [[nodiscard]] std::string table_name(std::uint32_t oid) const;

private:
    struct Known {
        pg::pgoutput::Relation relation;
        /// (index position, feed) pairs that read this table.
        std::vector<std::pair<std::size_t, const pg::TableFeed*>> feeds;
    };
    void map_feed(std::size_t index, const pg::TableFeed& feed, const Known& known,
                  const pg::pgoutput::Tuple* old_row, const pg::pgoutput::Tuple* new_row,
                  ChangeIds& out) const;

    std::vector<IndexFeeds> indexes_;
    std::map<std::uint32_t, Known> relations_;
};

}  // namespace kt::workers::capture
