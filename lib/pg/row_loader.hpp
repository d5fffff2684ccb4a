#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lib/pg/error.hpp"
#include "lib/pg/source.hpp"

namespace kt::pg {

/// One row of an index's query: the document id and the document, both as PostgreSQL's text.
struct Row {
    std::string id;   ///< the `id` column as text: the Elasticsearch `_id`
    std::string doc;  ///< the `doc` column's JSON text, passed to Elasticsearch verbatim
};

/// One row of a load, viewing the text of the query result that its LoadResult keeps alive.
struct LoadedRow {
    std::string_view id;   ///< the `id` column as text: the Elasticsearch `_id`
    std::string_view doc;  ///< the `doc` column's JSON text, passed to Elasticsearch verbatim
};

/// What one load read, all from one snapshot. The rows view the server's result as received,
/// without a copy per row; copies of a LoadResult share it.
struct LoadResult {
    std::vector<LoadedRow> rows;  ///< ids the query did not return are absent (their docs go)
    /// Transactions completed as of the snapshot (up to a constant): strictly larger for a
    /// snapshot that sees a commit an earlier snapshot did not; the external version of every
    /// document of this load.
    std::int64_t version = 0;
    std::shared_ptr<const void> storage;  ///< what `rows` view (empty when they view literals)
};

/// Connection settings that are not in the URL.
struct LoaderOptions {
    /// `application_name` of the session unless the URL sets one (shows in pg_stat_activity).
    std::string application_name = "kt";
    /// Added to the URL unless it sets `connect_timeout`; zero leaves libpq's default.
    std::chrono::seconds connect_timeout{10};
};

/// Loads the current rows of one index by id, one REPEATABLE READ READ ONLY transaction per
/// load. The constructor connects, resolves a `table:` shorthand and prepares the query, or
/// throws (ConnectionError, QueryError). After a lost connection the next call reconnects and
/// prepares again; `load` also retries once at once when a reused connection turns out dead.
/// Not thread-safe: use one loader per thread.
class RowLoader {
public:
    /// Connects to `url` for `index` (exactly one of its `query` and `table` set).
    RowLoader(const IndexSource& index, std::string url, const LoaderOptions& options = {});
    ~RowLoader();
    RowLoader(RowLoader&&) noexcept;
    RowLoader& operator=(RowLoader&&) noexcept;
    RowLoader(const RowLoader&) = delete;
    RowLoader& operator=(const RowLoader&) = delete;

    /// Rows for `ids` plus the snapshot's version. Throws ConnectionError or ServerBusyError
    /// (retry later), IdRejected (an id caused a data error: bisect the batch), QueryError.
    [[nodiscard]] LoadResult load(const std::vector<std::string>& ids);

    /// For `kt check`: `SELECT 1`, then the query with no ids; throws the load errors.
    void check();

    /// Commits one transaction of its own (it only takes a transaction id), so that every later
    /// load's snapshot sees a commit that no snapshot taken before this call saw: its version is
    /// strictly larger than any of theirs. Repairs call it before loading. Throws as load().
    void advance();

    /// The row query in use; for `table:` the one generated at the last connect.
    [[nodiscard]] const std::string& sql() const noexcept { return sql_; }
    /// The index this loader serves.
    [[nodiscard]] const std::string& index_name() const noexcept { return index_.name; }

private:
    struct Session;

    void connect();
    void ensure_connected();
    [[nodiscard]] std::string resolve_table(Session& session) const;
    [[nodiscard]] LoadResult load_once(const std::string& id_array, std::size_t id_count);
    [[nodiscard]] LoadResult run_load(const std::string& id_array);
    void rollback_or_drop() noexcept;
    [[noreturn]] void rethrow_as_pg_error(const std::string& doing, std::size_t id_count);

    IndexSource index_;
    std::string url_;
    std::string conninfo_;
    std::string sql_;
    std::unique_ptr<Session> session_;
    bool lost_connection_ = false;
};

}  // namespace kt::pg
