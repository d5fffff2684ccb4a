#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "tools/es-standin/api_error.hpp"
#include "tools/es-standin/clock.hpp"
#include "tools/es-standin/settings.hpp"
#include "tools/es-standin/source_shape.hpp"
#include "tools/es-standin/versioning.hpp"

namespace kt::tools::standin {

/// One stored document version; immutable once published.
struct StoredDoc {
    std::string id;
    std::string source;  ///< `_source` exactly as sent (or as re-serialised by an update)
    int64_t version = 0;
    int64_t seq_no = 0;
    int64_t primary_term = 1;
};
using DocPtr = std::shared_ptr<const StoredDoc>;
/// The documents visible to search as of one refresh, in index (doc id) order.
using Snapshot = std::vector<DocPtr>;
using SnapshotPtr = std::shared_ptr<const Snapshot>;

/// Outcome of one document write: either a result or an item error.
struct WriteOutcome {
    std::optional<ApiError> error;
    std::string result;  ///< created, updated, deleted, not_found, noop
    int status = 200;
    int64_t version = 0;
    int64_t seq_no = 0;
    int64_t primary_term = 1;
    DocPtr doc;  ///< the document after the write (index/update)
};

/// How an update request changes a document.
struct UpdateSpec {
    std::optional<Json> doc;
    std::optional<Json> upsert;
    bool doc_as_upsert = false;
    bool detect_noop = true;
    WriteConditions conditions;
};

/// Counters returned by `GET /_stats` and `/_cat/indices`.
struct IndexCounters {
    int64_t index_total = 0;
    int64_t delete_total = 0;
    int64_t noop_update_total = 0;
};

/// One physical index: live documents, delete tombstones, the searchable snapshot, settings and
/// mappings. Thread-safe: every method takes the index's own mutex (never held while parsing).
class IndexStore {
public:
    IndexStore(std::string name, FlatSettings settings, Json mappings, Clock clock);

    /// Index name.
    [[nodiscard]] const std::string& name() const { return name_; }
    /// Random index UUID.
    [[nodiscard]] const std::string& uuid() const { return uuid_; }

    /// Indexes (or creates) `id` with `source`, whose shape was inspected outside the lock.
    WriteOutcome index(const std::string& id, std::string source, const SourceShape& shape,
                       const WriteConditions& conditions);
    /// Deletes `id`, leaving a tombstone remembered for `index.gc_deletes`.
    WriteOutcome remove(const std::string& id, const WriteConditions& conditions);
    /// Partial update / upsert of `id`.
    WriteOutcome update(const std::string& id, const UpdateSpec& spec);
    /// Realtime get of the live document.
    [[nodiscard]] DocPtr get(const std::string& id) const;

    /// Publishes the live documents to search.
    void refresh();
    /// Refreshes when dirty and `index.refresh_interval` has passed since the last refresh.
    void refresh_if_due();
    /// Documents visible to search.
    [[nodiscard]] SnapshotPtr searchable() const;
    /// Number of live documents (realtime).
    [[nodiscard]] size_t live_count() const;

    /// Current settings (flat `index.*`).
    [[nodiscard]] FlatSettings settings() const;
    /// Merges dynamic settings; null values reset to defaults.
    void put_settings(const FlatSettings& update);
    /// Current mappings object.
    [[nodiscard]] Json mappings() const;
    /// Merges new `properties` (and `dynamic`) into the mappings.
    void put_mappings(const Json& update);
    /// Counters for stats APIs.
    [[nodiscard]] IndexCounters counters() const;
    /// Number of replicas configured (drives `_shards.total`).
    [[nodiscard]] int replicas() const;
    /// Closed indices reject reads and writes.
    [[nodiscard]] bool closed() const { return closed_.load(); }
    /// Opens or closes the index.
    void set_closed(bool closed) { closed_.store(closed); }
    /// `index.max_result_window`.
    [[nodiscard]] int64_t max_result_window() const;

private:
    std::optional<VersionedState> current_state(const std::string& id) const;
    /// The version a write of `id` gets; on a conflict, sets `out.error` and returns nothing.
    /// Called with the lock held.
    std::optional<VersionDecision> decide(const std::string& id,
                                          const WriteConditions& conditions,
                                          WriteOutcome& out) const;
    std::optional<ApiError> check_mapping(const std::string& source, const SourceShape& shape);
    WriteOutcome store(const std::string& id, std::string source, int64_t version, bool found);
    void load_known_fields();
    std::chrono::milliseconds setting_time(const char* key,
                                           std::chrono::milliseconds fallback) const;
    /// The integer setting `key` under the lock; `fallback` when unset.
    int64_t setting_integer(const char* key, int64_t fallback) const;
    /// A copy of `field` taken under the lock.
    template <typename T>
    T locked_copy(const T& field) const {
        std::lock_guard lock(mutex_);
        return field;
    }

    struct Tombstone {
        int64_t version = 0;
        int64_t seq_no = 0;
        std::chrono::steady_clock::time_point deleted_at;
    };

    const std::string name_;
    const std::string uuid_;
    Clock clock_;
    mutable std::mutex mutex_;
    FlatSettings settings_;
    Json mappings_;
    std::string dynamic_ = "true";
    std::unordered_set<std::string> known_fields_;
    /// Top-level fields (names and kinds) of the last document the mapping accepted: documents
    /// of one table repeat them, and the same fields get the same answer with nothing to add.
    std::vector<std::pair<std::string, FieldKind>> last_accepted_fields_;
    std::unordered_map<std::string, DocPtr> live_;
    std::unordered_map<std::string, Tombstone> tombstones_;
    SnapshotPtr searchable_;
    int64_t next_seq_no_ = 0;
    bool dirty_ = false;
    std::chrono::steady_clock::time_point last_refresh_;
    std::chrono::milliseconds refresh_interval_{1000};
    std::chrono::milliseconds gc_deletes_{60000};
    IndexCounters counters_;
    std::atomic<bool> closed_{false};
};

/// Deep-merges `patch` into `target` the way Elasticsearch applies a partial update.
/// Returns true when anything changed.
bool merge_doc(Json& target, const Json& patch);
/// A random 22-character URL-safe id, like Elasticsearch's auto-generated ids.
std::string random_id();

}  // namespace kt::tools::standin
