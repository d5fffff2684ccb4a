#pragma once

#include <vector>

#include "lib/kafka/detail/handles.hpp"
#include "lib/kafka/topic_partition.hpp"

namespace kt::kafka::detail {

/// A librdkafka list holding `partitions` with their offsets.
[[nodiscard]] PartitionListPtr to_list(const std::vector<TopicPartition>& partitions);
/// The entries of `list` (offsets included); an empty vector for nullptr.
[[nodiscard]] std::vector<TopicPartition> from_list(const rd_kafka_topic_partition_list_t* list);
/// First per-partition error in `list`, or RD_KAFKA_RESP_ERR_NO_ERROR.
[[nodiscard]] rd_kafka_resp_err_t first_error(const rd_kafka_topic_partition_list_t* list);

}  // namespace kt::kafka::detail
