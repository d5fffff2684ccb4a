#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

// kt's external document versions, and what a version found in an index says about its writer.
// Pure: no I/O.
//
// kt writes every document with `version_type=external_gte` and the version
//     count × 2^kForeignWriteBits
// where count is the snapshot's transaction count (pg::LoadResult::version). Another writer's
// plain index, update or delete request adds one to whatever version is there, so the low bits
// count the foreign writes on top of kt's last write and a version with any of them set cannot
// be kt's. A write from a later snapshot (a larger count) is above kt's earlier write plus up
// to 2^kForeignWriteBits - 1 foreign writes, so kt's repairs win over them without weakening
// the order between kt's own writes (a larger count is still a larger version).
namespace kt::workers {

/// Low bits of a version left for other writers' increments.
inline constexpr int kForeignWriteBits = 16;
/// The factor between a snapshot count and the version kt writes for it.
inline constexpr std::int64_t kVersionScale = std::int64_t{1} << kForeignWriteBits;
/// The largest snapshot count with a version (2^47 - 1: 44 years at 100,000 commits a second).
inline constexpr std::int64_t kMaxSnapshotCount =
    std::numeric_limits<std::int64_t>::max() >> kForeignWriteBits;

/// The external version kt writes for a snapshot's transaction count. Throws kt::Error for a
/// negative count or one above kMaxSnapshotCount (the version would not fit Elasticsearch's long).
[[nodiscard]] std::int64_t external_version(std::int64_t snapshot_count);

/// Who could have written a version found in an index.
enum class VersionOrigin {
    kKt,        ///< count × 2^16 for a count PostgreSQL has reached
    kUnscaled,  ///< at most the database's count itself: written by kt before versions were scaled
    kForeign,   ///< foreign writes on top of kt's version, or ahead of the database
};

/// What a version found in an index says.
struct VersionReading {
    VersionOrigin origin = VersionOrigin::kKt;
    /// The snapshot count kt wrote: the version itself when kUnscaled, else version >> 16.
    std::int64_t count = 0;
    /// Writes by others on top of kt's (the low 16 bits); 0 unless kForeign.
    std::int64_t foreign_writes = 0;
    /// kForeign with a count PostgreSQL has not reached: no kt snapshot made it, and no kt
    /// write can overwrite the document until the database's count passes it.
    bool ahead = false;
};

/// Reads `version` against `db_count`, the database's transaction count when the version was
/// seen (or later). A version at most `db_count` is taken for an unscaled one that kt wrote
/// before its versions were scaled: scaled versions are 65,536 times the counts, so the two
/// ranges meet only after 65,535 times as many transactions as the database had made when kt
/// first wrote scaled versions. (A plain index request on a document kt never wrote also makes
/// a small version and reads as kUnscaled; its document is still compared by content.)
[[nodiscard]] VersionReading read_version(std::int64_t version, std::int64_t db_count);

/// The version a 409 `version_conflict_engine_exception` names as the document's current one
/// (`…current version [N] is higher…`); nullopt when the reason names none.
[[nodiscard]] std::optional<std::int64_t> conflict_current_version(std::string_view reason);

/// True when a document's current version, met as a conflict by kt's write, carries writes kt
/// did not make (its low bits are set), or when the conflict names no version: such a
/// document must be rewritten from a newer snapshot rather than taken for a newer kt write.
[[nodiscard]] bool conflict_needs_repair(std::optional<std::int64_t> current_version);

}  // namespace kt::workers
