#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "lib/kafka/metadata.hpp"

namespace kt::kafka::detail {

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

}  // namespace kt::kafka::detail
