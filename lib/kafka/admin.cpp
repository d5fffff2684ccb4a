#include "lib/kafka/admin.hpp"

#include <fmt/format.h>

#include <memory>
#include <thread>

#include "lib/kafka/detail/conf.hpp"
#include "lib/kafka/detail/partition_list.hpp"
#include "lib/kafka/detail/error_code.hpp"
#include "lib/kafka/detail/metadata.hpp"

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
    return detail::list_topics(handle_.get(), timeout);
}

ClusterMetadata Admin::describe_cluster(std::chrono::milliseconds timeout) {
    return detail::describe_cluster(handle_.get(), timeout);
}

std::optional<TopicMetadata> Admin::describe_topic(const std::string& topic,
                                                   std::chrono::milliseconds timeout) {
    return find_topic(list_topics(timeout), topic);
}

void Admin::create_topic(const std::string& topic, int partitions,
                         const std::map<std::string, std::string>& configs,
                         std::chrono::milliseconds timeout) {
    const std::string what = fmt::format("creating topic {}", topic);
    char err[512];
    std::unique_ptr<rd_kafka_NewTopic_t, detail::NewTopicDeleter> request(
        rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, err, sizeof(err)));
    if (!request) throw Error(fmt::format("{}: {}", what, err));
    for (const auto& [name, value] : configs) {
        if (rd_kafka_NewTopic_set_config(request.get(), name.c_str(), value.c_str()) != 0) {
            throw Error(fmt::format("{}: bad topic config {}={}", what, name, value));
        }
    }
    std::unique_ptr<rd_kafka_AdminOptions_t, detail::AdminOptionsDeleter> admin_options(
        rd_kafka_AdminOptions_new(handle_.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS));
    // The broker answers once the controller has created the topic, or after this long.
    if (rd_kafka_AdminOptions_set_operation_timeout(admin_options.get(), ms(timeout), err,
                                                    sizeof(err)) != 0 ||
        rd_kafka_AdminOptions_set_request_timeout(admin_options.get(), ms(timeout), err,
                                                  sizeof(err)) != 0) {
        throw Error(fmt::format("{}: {}", what, err));
    }
    detail::QueuePtr queue(rd_kafka_queue_new(handle_.get()));
    rd_kafka_NewTopic_t* requests[] = {request.get()};
    rd_kafka_CreateTopics(handle_.get(), requests, 1, admin_options.get(), queue.get());
    std::unique_ptr<rd_kafka_event_t, detail::EventDeleter> event(
        rd_kafka_queue_poll(queue.get(), ms(timeout) + 5000));
    if (!event) throw KafkaError(what, ErrorCode::kTimedOut);
    if (const auto e = rd_kafka_event_error(event.get()); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw detail::error_of(
            fmt::format("{}: {}", what, rd_kafka_event_error_string(event.get())), e);
    }
    std::size_t count = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(
        rd_kafka_event_CreateTopics_result(event.get()), &count);
    if (count != 1) throw Error(fmt::format("{}: an answer about {} topics", what, count));
    if (const auto e = rd_kafka_topic_result_error(results[0]); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* message = rd_kafka_topic_result_error_string(results[0]);
        throw detail::error_of(fmt::format("{}: {}", what, message != nullptr ? message : ""), e);
    }

    // Created by the controller; the broker serves it once its metadata has every partition.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        try {
            const auto found = describe_topic(topic, std::chrono::seconds(5));
            if (found && found->error == ErrorCode::kNoError &&
                found->partitions == partitions) {
                return;
            }
        } catch (const KafkaError&) {
            // no answer yet: asked again until the deadline
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            throw KafkaError(fmt::format("{}: created, but not in the broker's metadata with its "
                                         "{} partition(s) in time",
                                         what, partitions),
                             ErrorCode::kTimedOut);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

Watermarks Admin::query_watermarks(const std::string& topic, std::int32_t partition,
                                   std::chrono::milliseconds timeout) {
    return detail::query_watermarks(handle_.get(), topic, partition, timeout);
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
    const auto failed = err != RD_KAFKA_RESP_ERR_NO_ERROR ? err : detail::first_error(list.get());
    if (failed != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw detail::error_of(fmt::format("cannot read committed offsets of group {}", group),
                               failed);
    }
    return detail::from_list(list.get());
}

}  // namespace kt::kafka
