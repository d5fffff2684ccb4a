#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/kafka/topic_partition.hpp"

namespace kt::kafka {

/// What the cluster says about one topic.
struct TopicMetadata {
    std::string name;
    int partitions = 0;
    /// Topic-level error the broker reported (e.g. RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART).
    rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
};

/// What the cluster says about itself.
struct ClusterMetadata {
    std::string cluster_id;  ///< empty when the brokers do not report one
    int brokers = 0;         ///< brokers the metadata answer lists
    std::vector<TopicMetadata> topics;
};

/// Every topic the cluster knows (internal ones included). Throws KafkaError (retryable) when no
/// broker answers within `timeout`.
[[nodiscard]] std::vector<TopicMetadata> list_topics(rd_kafka_t* handle,
                                                     std::chrono::milliseconds timeout);

/// Cluster id, brokers and every topic; throws KafkaError (retryable) like list_topics.
[[nodiscard]] ClusterMetadata describe_cluster(rd_kafka_t* handle,
                                               std::chrono::milliseconds timeout);

/// Low/high watermarks of one partition, asked of its leader; throws KafkaError.
[[nodiscard]] Watermarks query_watermarks(rd_kafka_t* handle, const std::string& topic,
                                          std::int32_t partition,
                                          std::chrono::milliseconds timeout);

/// The topic named `name` in `topics`, or nullopt.
[[nodiscard]] std::optional<TopicMetadata> find_topic(const std::vector<TopicMetadata>& topics,
                                                      std::string_view name);

}  // namespace kt::kafka
