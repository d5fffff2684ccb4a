#pragma once

#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "lib/es/bulk_body.hpp"
#include "lib/kafka/topic_partition.hpp"
#include "lib/pg/row_loader.hpp"
#include "workers/common/ports.hpp"

// Pure batch decisions shared by the workers that consume id messages.
namespace kt::workers {

/// One consumed message whose id parsed.
struct BatchEntry {
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    std::string id;
};

/// The offsets to commit once every message of a batch is handled: per partition, one past
/// the highest offset seen, sorted by partition.
std::vector<kafka::TopicPartition> commit_offsets(const std::string& topic,
                                                  std::span<const std::int32_t> partitions,
                                                  std::span<const std::int64_t> offsets);

/// commit_offsets() of a batch of consumed messages.
std::vector<kafka::TopicPartition> commit_offsets(const std::string& topic,
                                                  std::span<const InMessage> messages);

/// Drops the messages of partitions not in `assigned` (revoked while polling): their work
/// belongs to the partitions' new owner, which reads them again from the last commit.
void drop_revoked(std::vector<InMessage>& messages, const std::set<std::int32_t>& assigned);

/// The distinct ids of `entries` in first-seen order.
std::vector<std::string> distinct_ids(std::span<const BatchEntry> entries);

/// A loaded slice of ids: the rows Postgres returned and the snapshot version they share.
struct LoadedSlice {
    std::span<const std::string> ids;
    const pg::LoadResult* result = nullptr;
};

/// Bulk actions for loaded slices: index each returned row, delete each id the query did not
/// return, every action versioned with its slice's snapshot count as external_version() scales
/// it. Views point into `slices`. Throws kt::Error for a count beyond kMaxSnapshotCount.
std::vector<es::BulkAction> plan_actions(std::span<const LoadedSlice> slices);

}  // namespace kt::workers
