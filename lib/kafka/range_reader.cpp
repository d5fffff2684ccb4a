#include "lib/kafka/range_reader.hpp"

#include <fmt/format.h>

#include <set>

#include "lib/kafka/detail/conf.hpp"
#include "lib/kafka/detail/partition_list.hpp"
#include "lib/kafka/detail/error_code.hpp"
#include "lib/kafka/detail/metadata.hpp"
#include "lib/kafka/metadata.hpp"

namespace kt::kafka {

namespace {

int ms(std::chrono::milliseconds timeout) {
    return static_cast<int>(timeout.count());
}

}  // namespace

RangeReader::RangeReader(const Options& options) {
    auto conf = detail::make_conf(options, {{"client.id", "kt-range-reader"},
                                            {"group.id", "kt-range-reader"},
                                            {"enable.auto.commit", "false"},
                                            {"enable.auto.offset.store", "false"},
                                            {"enable.partition.eof", "true"},
                                            {"auto.offset.reset", "earliest"}});
    handle_ = detail::make_handle(RD_KAFKA_CONSUMER, conf);
    rd_kafka_poll_set_consumer(handle_.get());
}

RangeReader::~RangeReader() {
    if (handle_) {
        (void)rd_kafka_assign(handle_.get(), nullptr);
        (void)rd_kafka_consumer_close(handle_.get());
    }
}

PartitionOffsets RangeReader::end_offsets(const std::string& topic,
                                          std::chrono::milliseconds timeout) {
    const auto found = find_topic(detail::list_topics(handle_.get(), timeout), topic);
    PartitionOffsets out;
    if (!found || found->error != ErrorCode::kNoError) return out;
    for (std::int32_t p = 0; p < found->partitions; ++p) {
        out[p] = detail::query_watermarks(handle_.get(), topic, p, timeout).high;
    }
    return out;
}

PartitionOffsets RangeReader::offsets_for_times(const std::string& topic,
                                                std::chrono::system_clock::time_point time,
                                                std::chrono::milliseconds timeout) {
    const PartitionOffsets ends = end_offsets(topic, timeout);
    if (ends.empty()) return {};
    const auto stamp =
        std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
    detail::PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(ends.size())));
    for (const auto& [partition, end] : ends) {
        rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = stamp;
    }
    const rd_kafka_resp_err_t err =
        rd_kafka_offsets_for_times(handle_.get(), list.get(), ms(timeout));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw detail::error_of("offsets for times of " + topic, err);
    }
    PartitionOffsets out;
    for (int i = 0; i < list->cnt; ++i) {
        const rd_kafka_topic_partition_t& tp = list->elems[i];
        if (tp.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            throw detail::error_of(fmt::format("offsets for times of {}[{}]", topic, tp.partition),
                                   tp.err);
        }
        // -1: no message at or after the time; reading starts at the end.
        out[tp.partition] = tp.offset >= 0 ? tp.offset : ends.at(tp.partition);
    }
    return out;
}

std::size_t RangeReader::read(const std::string& topic, const PartitionOffsets& from,
                              const PartitionOffsets& to,
                              const std::function<void(std::string_view value)>& on_value,
                              std::chrono::milliseconds timeout) {
    std::set<std::int32_t> pending;
    detail::PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(to.size())));
    for (const auto& [partition, end] : to) {
        const auto start = from.find(partition);
        const std::int64_t begin = start == from.end() ? 0 : start->second;
        if (begin >= end) continue;
        rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = begin;
        pending.insert(partition);
    }
    if (pending.empty()) return 0;
    rd_kafka_resp_err_t err = rd_kafka_assign(handle_.get(), list.get());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) throw detail::error_of("assign " + topic, err);
    std::size_t count = 0;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pending.empty()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            (void)rd_kafka_assign(handle_.get(), nullptr);
            throw detail::error_of(
                fmt::format("reading {} partition(s) of {}", pending.size(), topic),
                RD_KAFKA_RESP_ERR__TIMED_OUT);
        }
        detail::MessagePtr message(rd_kafka_consumer_poll(handle_.get(), 100));
        if (!message) continue;
        const std::int32_t partition = message->partition;
        if (pending.count(partition) == 0) continue;
        const std::int64_t end = to.at(partition);
        if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (message->offset >= end) pending.erase(partition);
            continue;
        }
        if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            (void)rd_kafka_assign(handle_.get(), nullptr);
            throw detail::error_of(fmt::format("reading {}[{}]", topic, partition), message->err);
        }
        if (message->offset >= end) {
            pending.erase(partition);
            continue;
        }
        on_value(std::string_view(static_cast<const char*>(message->payload), message->len));
        ++count;
        if (message->offset + 1 >= end) pending.erase(partition);
    }
    err = rd_kafka_assign(handle_.get(), nullptr);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) throw detail::error_of("unassign " + topic, err);
    return count;
}

}  // namespace kt::kafka
