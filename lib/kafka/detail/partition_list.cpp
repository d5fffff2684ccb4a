#include "lib/kafka/detail/partition_list.hpp"

namespace kt::kafka::detail {

PartitionListPtr to_list(const std::vector<TopicPartition>& partitions) {
    PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
    for (const auto& tp : partitions) {
        rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset =
            tp.offset;
    }
    return list;
}

std::vector<TopicPartition> from_list(const rd_kafka_topic_partition_list_t* list) {
    std::vector<TopicPartition> result;
    if (list == nullptr) return result;
    result.reserve(static_cast<std::size_t>(list->cnt));
    for (int i = 0; i < list->cnt; ++i) {
        const auto& e = list->elems[i];
        result.push_back(TopicPartition{e.topic, e.partition, e.offset});
    }
    return result;
}

rd_kafka_resp_err_t first_error(const rd_kafka_topic_partition_list_t* list) {
    if (list == nullptr) return RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int i = 0; i < list->cnt; ++i) {
        if (list->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) return list->elems[i].err;
    }
    return RD_KAFKA_RESP_ERR_NO_ERROR;
}

}  // namespace kt::kafka::detail
