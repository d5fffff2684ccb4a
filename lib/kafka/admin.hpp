#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lib/kafka/detail/handles.hpp"
#include "lib/kafka/metadata.hpp"
#include "lib/kafka/options.hpp"
#include "lib/kafka/topic_partition.hpp"

namespace kt::kafka {

/// Cluster inspection for `kt check`, `kt status`, the benchmarks and tests; topics are created
/// only when asked (create_topic), never as a side effect.
class Admin {
public:
    /// Creates the client (connections are made lazily); throws kt::Error on bad properties.
    explicit Admin(const Options& options);

    /// Every topic; throws KafkaError when the cluster does not answer within `timeout`.
    [[nodiscard]] std::vector<TopicMetadata> list_topics(std::chrono::milliseconds timeout);
    /// Cluster id, broker count and every topic; throws KafkaError like list_topics.
    [[nodiscard]] ClusterMetadata describe_cluster(std::chrono::milliseconds timeout);
    /// One topic, or nullopt when the cluster does not have it.
    [[nodiscard]] std::optional<TopicMetadata> describe_topic(const std::string& topic,
                                                              std::chrono::milliseconds timeout);
    /// Creates `topic` with `partitions` (replication factor 1) and topic `configs` (e.g.
    /// max.message.bytes) through CreateTopics, then waits until the broker's metadata lists
    /// every partition. Throws KafkaError with the broker's answer, or when either step takes
    /// longer than `timeout`.
    void create_topic(const std::string& topic, int partitions,
                      const std::map<std::string, std::string>& configs,
                      std::chrono::milliseconds timeout);
    /// Low/high watermarks of one partition, asked of its leader.
    [[nodiscard]] Watermarks query_watermarks(const std::string& topic, std::int32_t partition,
                                              std::chrono::milliseconds timeout);
    /// Committed offsets of `group` for `partitions` (offset kNoOffset when none).
    [[nodiscard]] std::vector<TopicPartition> committed(
        const std::string& group, const std::vector<TopicPartition>& partitions,
        std::chrono::milliseconds timeout);

private:
    Options options_;
    detail::HandlePtr handle_;
};

}  // namespace kt::kafka
