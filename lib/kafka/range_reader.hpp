#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "lib/kafka/detail/handles.hpp"
#include "lib/kafka/options.hpp"
#include "lib/non_copyable.hpp"

namespace kt::kafka {

/// Offset per partition of one topic.
using PartitionOffsets = std::map<std::int32_t, std::int64_t>;

/// Reads fixed offset ranges of a topic with no consumer group (partitions assigned directly,
/// nothing committed), e.g. "every message since the reindex started". Not thread-safe.
class RangeReader : private NonCopyable {
public:
    /// Creates the client (connections are made lazily); throws kt::Error on bad properties.
    explicit RangeReader(const Options& options);
    ~RangeReader();

    /// High watermark (the next offset to be written) of every partition of `topic`; empty when
    /// the cluster does not have the topic. Throws KafkaError when it does not answer.
    [[nodiscard]] PartitionOffsets end_offsets(const std::string& topic,
                                               std::chrono::milliseconds timeout);
    /// Per partition of `topic`, the first offset whose timestamp is at or after `time` (the
    /// high watermark when there is none). Throws KafkaError.
    [[nodiscard]] PartitionOffsets offsets_for_times(const std::string& topic,
                                                     std::chrono::system_clock::time_point time,
                                                     std::chrono::milliseconds timeout);
    /// Hands the value of every message at offsets [from[p], to[p]) of each partition p to
    /// `on_value`, in offset order per partition; returns how many. Throws KafkaError when the
    /// ranges are not read within `timeout` or a partition reports an error.
    std::size_t read(const std::string& topic, const PartitionOffsets& from,
                     const PartitionOffsets& to,
                     const std::function<void(std::string_view value)>& on_value,
                     std::chrono::milliseconds timeout);

private:
    detail::HandlePtr handle_;
};

}  // namespace kt::kafka
