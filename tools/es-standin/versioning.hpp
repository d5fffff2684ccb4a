#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kt::tools::standin {

/// Elasticsearch `version_type`.
enum class VersionType { kInternal, kExternal, kExternalGte };
/// The kind of write being decided.
enum class WriteOp { kIndex, kCreate, kDelete };

/// Concurrency-control parameters of one write.
struct WriteConditions {
    WriteOp op = WriteOp::kIndex;
    std::optional<int64_t> version;
    VersionType version_type = VersionType::kInternal;
    std::optional<int64_t> if_seq_no;
    std::optional<int64_t> if_primary_term;
};

/// What the index knows about an id: a live document or a delete tombstone still remembered.
struct VersionedState {
    int64_t version = 0;
    int64_t seq_no = 0;
    int64_t primary_term = 1;
    bool deleted = false;
};

/// The decision for one write: a conflict reason, or the version the write gets.
struct VersionDecision {
    std::optional<std::string> conflict;  ///< `version_conflict_engine_exception` reason
    int64_t version = 0;                  ///< version of the written document or tombstone
    bool found = false;                   ///< a live document existed before the write
};

/// Parses `internal`, `external`, `external_gte`; throws ApiError 400 for anything else.
VersionType parse_version_type(std::string_view text);
/// Request validation as Elasticsearch does it; returns the failure text, empty when valid.
std::string validate_conditions(const WriteConditions& conditions);
/// Decides the outcome of a write against `current` (live doc or unexpired tombstone). Pure.
VersionDecision decide_write(const WriteConditions& conditions, std::string_view id,
                             const std::optional<VersionedState>& current);
/// True while a tombstone deleted at `deleted_at` is still remembered (`index.gc_deletes`).
bool tombstone_alive(std::chrono::steady_clock::time_point deleted_at,
                     std::chrono::steady_clock::time_point now,
                     std::chrono::milliseconds gc_deletes);

}  // namespace kt::tools::standin
