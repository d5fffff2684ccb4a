#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <vector>

namespace kt::kafka {

/// Offset value meaning "none" (no committed offset, or not applicable).
inline constexpr std::int64_t kNoOffset = -1001;  // RD_KAFKA_OFFSET_INVALID
/// Partition value meaning "let the partitioner choose" (by key).
inline constexpr std::int32_t kAnyPartition = -1;  // RD_KAFKA_PARTITION_UA

/// One partition of a topic, with an offset whose meaning depends on the call (for commits and
/// committed(): the next offset to read, as Kafka stores it).
struct TopicPartition {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t offset = kNoOffset;

    /// Ordered by topic, partition, offset.
    auto operator<=>(const TopicPartition&) const = default;
};

/// Low (first available) and high (next to be written) offsets of a partition.
struct Watermarks {
    std::int64_t low = 0;
    std::int64_t high = 0;
};

}  // namespace kt::kafka
