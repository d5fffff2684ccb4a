#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/es/index_admin.hpp"

// Pure decisions of `kt reindex`: no I/O, no clock, no logging.
namespace kt::workers {

/// The body that creates the new physical index and the settings restored after the load.
struct LoadSettings {
    std::string create_body;   ///< the mappings file with refresh off and no replicas
    std::string restore_body;  ///< `PUT _settings` body restoring refresh and replicas
};

/// From the mappings file's JSON object (empty text: none): the create body with
/// `index.refresh_interval: -1` and `index.number_of_replicas: 0` (flat or nested keys of the
/// file replaced), and the restore body with the file's values or Elasticsearch's defaults
/// (`1s`, `1`). Throws kt::Error when the text is not a JSON object.
[[nodiscard]] LoadSettings load_settings(std::string_view mappings_json);

/// The one atomic `_aliases` call of the swap: remove `alias` from every index of `old_indices`
/// and add it to `new_index` as its write index.
[[nodiscard]] std::vector<es::AliasAction> swap_actions(const std::string& alias,
                                                        const std::vector<std::string>& old_indices,
                                                        const std::string& new_index);

/// The transaction count to write the documents of an imported snapshot with, from its own
/// count (`imported`) and that of a new snapshot taken once it was imported (`after`): the
/// larger. A slot's exported snapshot lists as in progress every transaction of its range it
/// did not see commit (aborted ones too), so its own count can fall below that of an older
/// snapshot, whose documents must not win over it; a snapshot taken later never does. Changes
/// committed between the two are in the slot (or on the index's topic), so they are written
/// again with a larger count.
[[nodiscard]] std::int64_t imported_snapshot_count(std::int64_t imported, std::int64_t after);

/// Ids given as `1,2,3` or one per line (commas, blanks and line breaks separate), in order,
/// each once.
[[nodiscard]] std::vector<std::string> parse_id_list(std::string_view text);

/// Progress of a reindex at one moment.
struct ProgressSnapshot {
    std::uint64_t rows = 0;      ///< rows written to the new index so far
    std::int64_t estimate = -1;  ///< expected total (pg_class.reltuples), -1 when unknown
    double seconds = 0;          ///< since the load started
};

/// `[#####.....]  42% 420,000/1,000,000 rows  52,000 rows/s  ETA 11s` for a terminal of
/// `width` columns, without the estimate parts when it is unknown.
[[nodiscard]] std::string progress_bar(const ProgressSnapshot& p, int width = 80);
/// `reindex products: 420000 of ~1000000 rows (42%), 52000 rows/s, ETA 11s` for logs.
[[nodiscard]] std::string progress_line(const std::string& index, const ProgressSnapshot& p);

}  // namespace kt::workers
