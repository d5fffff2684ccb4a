#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "lib/non_copyable.hpp"
#include "lib/pg/row_loader.hpp"
#include "lib/pg/source.hpp"

namespace kt::pg {

/// Receives one chunk of child ids (as text); the span lives only during the call.
using ChildChunkFn = std::function<void(std::span<const std::string> child_ids)>;

/// Runs one cascade's association query (`$1` a text[] of parent ids; the first column is the
/// child id) through a server-side cursor in a READ ONLY transaction, handing the child ids
/// over in chunks, so a fan-out of millions never sits in memory. Connects on first use and
/// again after a lost connection. Not thread-safe: one per thread.
class ChildQuery : private NonCopyable {
public:
    /// For `cascade` on `url`; does not connect yet.
    ChildQuery(const CascadeSource& cascade, std::string url,
               const LoaderOptions& options = {});
    ~ChildQuery();

    /// Streams the child ids of `parent_ids`, at most `chunk_size` per call of `on_chunk`;
    /// returns how many were handed over (NULL ids are skipped). Throws ConnectionError or
    /// ServerBusyError (retry later), IdRejected (a parent id caused a data error: bisect),
    /// QueryError; an exception from `on_chunk` ends the transaction and propagates as is.
    std::size_t stream(const std::vector<std::string>& parent_ids, std::size_t chunk_size,
                       const ChildChunkFn& on_chunk);

    /// For `kt check`: runs the query with no parent ids; throws what stream() throws.
    void check();

private:
    struct Session;

    void ensure_connected();
    void rollback_or_drop() noexcept;
    /// Inside a catch block: whether the exception in flight is already a PgError.
    [[nodiscard]] static bool in_flight_is_pg_error();
    [[noreturn]] void rethrow_as_pg_error(const std::string& doing, std::size_t id_count);

    CascadeSource cascade_;
    std::string url_;
    std::string conninfo_;
    std::unique_ptr<Session> session_;
};

}  // namespace kt::pg
