#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/kafka/error.hpp"
#include "lib/kafka/topic_partition.hpp"

namespace kt::kafka {

/// What the cluster says about one topic.
struct TopicMetadata {
    std::string name;
    int partitions = 0;
    /// Topic-level error the broker reported (e.g. ErrorCode::kUnknownTopicOrPart).
    ErrorCode error = ErrorCode::kNoError;
};

/// What the cluster says about itself.
struct ClusterMetadata {
    std::string cluster_id;  ///< empty when the brokers do not report one
    int brokers = 0;         ///< brokers the metadata answer lists
    std::vector<TopicMetadata> topics;
};

/// The topic named `name` in `topics`, or nullopt.
[[nodiscard]] std::optional<TopicMetadata> find_topic(const std::vector<TopicMetadata>& topics,
                                                      std::string_view name);

}  // namespace kt::kafka
