#include "lib/kafka/detail/metadata.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "lib/kafka/detail/conf.hpp"
#include "lib/kafka/detail/error_code.hpp"
#include "lib/kafka/detail/handles.hpp"
#include "lib/kafka/error.hpp"

namespace kt::kafka {

namespace detail {

namespace {

MetadataPtr fetch_metadata(rd_kafka_t* handle, std::chrono::milliseconds timeout) {
    const rd_kafka_metadata_t* raw = nullptr;
    const auto err = rd_kafka_metadata(handle, 1, nullptr, &raw, static_cast<int>(timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        const std::string cause = last_logged_error(handle);
        std::string what = "cannot fetch Kafka metadata";
        if (!cause.empty()) what += " (last client error: " + cause + ")";
        throw error_of(what, err);
    }
    return MetadataPtr(raw);
}

std::vector<TopicMetadata> topics_of(const rd_kafka_metadata_t& metadata) {
    std::vector<TopicMetadata> topics;
    topics.reserve(static_cast<std::size_t>(metadata.topic_cnt));
    for (int i = 0; i < metadata.topic_cnt; ++i) {
        const auto& t = metadata.topics[i];
        topics.push_back(TopicMetadata{t.topic, t.partition_cnt, code_of(t.err)});
    }
    return topics;
}

}  // namespace

std::vector<TopicMetadata> list_topics(rd_kafka_t* handle, std::chrono::milliseconds timeout) {
    return topics_of(*fetch_metadata(handle, timeout));
}

ClusterMetadata describe_cluster(rd_kafka_t* handle, std::chrono::milliseconds timeout) {
    const auto metadata = fetch_metadata(handle, timeout);
    ClusterMetadata cluster;
    cluster.brokers = metadata->broker_cnt;
    cluster.topics = topics_of(*metadata);
    // Known once a metadata answer arrived (nullptr from brokers older than Kafka 0.10.1), so
    // this does not wait.
    const StringPtr id(rd_kafka_clusterid(handle, static_cast<int>(timeout.count())),
                               StringDeleter{handle});
    if (id) cluster.cluster_id = id.get();
    return cluster;
}

Watermarks query_watermarks(rd_kafka_t* handle, const std::string& topic, std::int32_t partition,
                             std::chrono::milliseconds timeout) {
    // Right after a topic is created or a broker restarts, the partition's leader may still be
    // moving: those answers are asked again (librdkafka refreshes its metadata meanwhile) until
    // the timeout.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        Watermarks w;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        const auto err = rd_kafka_query_watermark_offsets(
            handle, topic.c_str(), partition, &w.low, &w.high,
            static_cast<int>(std::max<std::int64_t>(left.count(), 1)));
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return w;
        const bool leader_moving = err == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION ||
                                   err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE;
        if (!leader_moving || std::chrono::steady_clock::now() >= deadline) {
            throw error_of(fmt::format("cannot query watermarks of {}[{}]", topic, partition), err);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

}  // namespace detail

std::optional<TopicMetadata> find_topic(const std::vector<TopicMetadata>& topics,
                                        std::string_view name) {
    for (const auto& t : topics) {
        if (t.name == name) return t;
    }
    return std::nullopt;
}

}  // namespace kt::kafka
