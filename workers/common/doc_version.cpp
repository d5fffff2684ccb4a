#include "workers/common/doc_version.hpp"

#include <fmt/format.h>

#include <charconv>

#include "lib/error.hpp"

namespace kt::workers {

std::int64_t external_version(std::int64_t snapshot_count) {
    if (snapshot_count < 0 || snapshot_count > kMaxSnapshotCount) {
        throw Error(fmt::format(
            "PostgreSQL's transaction count {} has no Elasticsearch version (0 to {} have)",
            snapshot_count, kMaxSnapshotCount));
    }
    return snapshot_count * kVersionScale;
}

VersionReading read_version(std::int64_t version, std::int64_t db_count) {
    VersionReading out;
    if (version >= 0 && version <= db_count) {
        out.origin = VersionOrigin::kUnscaled;
        out.count = version;
        return out;
    }
    if (version < 0) {
        // Elasticsearch keeps no negative versions; nothing of kt's could read so.
        out.origin = VersionOrigin::kForeign;
        out.count = version;
        return out;
    }
    out.count = version >> kForeignWriteBits;
    out.foreign_writes = version & (kVersionScale - 1);
    out.ahead = out.count > db_count;
    out.origin =
        out.foreign_writes == 0 && !out.ahead ? VersionOrigin::kKt : VersionOrigin::kForeign;
    return out;
}

std::optional<std::int64_t> conflict_current_version(std::string_view reason) {
    constexpr std::string_view kMarker = "current version [";
    const std::size_t at = reason.find(kMarker);
    if (at == std::string_view::npos) return std::nullopt;
    const char* first = reason.data() + at + kMarker.size();
    const char* last = reason.data() + reason.size();
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(first, last, value);
    if (error != std::errc() || end == last || *end != ']') return std::nullopt;
    return value;
}

bool conflict_needs_repair(std::optional<std::int64_t> current_version) {
    if (!current_version) return true;
    return (*current_version & (kVersionScale - 1)) != 0;
}

}  // namespace kt::workers
