#include "lib/kafka/admin.hpp"

#include <fmt/format.h>

#include "lib/kafka/detail/conf.hpp"
#include "lib/kafka/detail/partition_list.hpp"
#include "lib/kafka/error.hpp"

namespace kt::kafka {

namespace {
int ms(std::chrono::milliseconds timeout) {
    return static_cast<int>(timeout.count());
}
}  // namespace

Admin::Admin(const Options& options) : options_(options) {
    auto conf = detail::make_conf(options_, {{"client.id", "kt-admin"}});
    handle_ = detail::make_handle(RD_KAFKA_PRODUCER, conf);
}

std::vector<TopicMetadata> Admin::list_topics(std::chrono::milliseconds timeout) {
    return kafka::list_topics(handle_.get(), timeout);
}

ClusterMetadata Admin::describe_cluster(std::chrono::milliseconds timeout) {
    return kafka::describe_cluster(handle_.get(), timeout);
}

std::optional<TopicMetadata> Admin::describe_topic(const std::string& topic,
                                                   std::chrono::milliseconds timeout) {
    return find_topic(list_topics(timeout), topic);
}

Watermarks Admin::query_watermarks(const std::string& topic, std::int32_t partition,
                                   std::chrono::milliseconds timeout) {
    return kafka::query_watermarks(handle_.get(), topic, partition, timeout);
}

std::vector<TopicPartition> Admin::committed(const std::string& group,
                                             const std::vector<TopicPartition>& partitions,
                                             std::chrono::milliseconds timeout) {
    Options group_options = options_;
    group_options.group_id = group;
    auto conf = detail::make_conf(group_options, {{"client.id", "kt-admin"}});
    const auto consumer = detail::make_handle(RD_KAFKA_CONSUMER, conf);
    auto list = detail::to_list(partitions);
    const auto err = rd_kafka_committed(consumer.get(), list.get(), ms(timeout));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw KafkaError(fmt::format("cannot read committed offsets of group {}", group), err);
    }
    if (const auto perr = detail::first_error(list.get()); perr != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw KafkaError(fmt::format("cannot read committed offsets of group {}", group), perr);
    }
    return detail::from_list(list.get());
}

}  // namespace kt::kafka
