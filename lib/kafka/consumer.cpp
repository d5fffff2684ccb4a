#include "lib/kafka/consumer.hpp"

#include <fmt/format.h>

#include <array>
#include <cstring>
#include <thread>
#include <utility>

#include "lib/error.hpp"
#include "lib/kafka/detail/conf.hpp"
#include "lib/kafka/detail/partition_list.hpp"
#include "lib/kafka/detail/start_offset.hpp"
#include "lib/kafka/detail/error_code.hpp"
#include "lib/kafka/detail/metadata.hpp"
#include "lib/log/log.hpp"

namespace kt::kafka {

namespace {

/// How long a new assignment may wait for its committed offsets before it is left to
/// librdkafka's own fetch of them.
constexpr std::chrono::seconds kStartOffsetsTimeout{10};

int ms(std::chrono::milliseconds timeout) {
    return static_cast<int>(timeout.count());
}

void check(rd_kafka_resp_err_t err, const char* what) {
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) throw detail::error_of(what, err);
}

std::string describe(const std::vector<TopicPartition>& partitions) {
    std::string text;
    for (const auto& tp : partitions) {
        if (!text.empty()) text += ',';
        text += fmt::format("{}[{}]", tp.topic, tp.partition);
    }
    return text;
}

}  // namespace

Consumer::Consumer(const Options& options, RebalanceHooks hooks) : hooks_(std::move(hooks)) {
    if (options.group_id.empty()) throw Error("a Kafka consumer needs a group id");
    auto conf = detail::make_conf(options, {{"client.id", "kt"},
                                            {"enable.auto.commit", "false"},
                                            {"enable.auto.offset.store", "false"},
                                            {"auto.offset.reset", "earliest"}});
    rd_kafka_conf_set_opaque(conf.get(), this);
    rd_kafka_conf_set_rebalance_cb(conf.get(), &Consumer::rebalance_trampoline);
    handle_ = detail::make_handle(RD_KAFKA_CONSUMER, conf);
    rd_kafka_poll_set_consumer(handle_.get());
}

Consumer::~Consumer() {
    try {
        close();
    } catch (const std::exception& e) {
        log::warn("kafka consumer did not close cleanly: {}", e.what());
    } catch (...) {
        log::warn("kafka consumer did not close cleanly");
    }
}

void Consumer::subscribe(const std::vector<std::string>& topics) {
    detail::PartitionListPtr list(
        rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
    for (const auto& topic : topics) {
        rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
    }
    check(rd_kafka_subscribe(handle_.get(), list.get()), "cannot subscribe");
}

std::optional<Message> Consumer::poll(std::chrono::milliseconds timeout) {
    detail::MessagePtr raw(rd_kafka_consumer_poll(handle_.get(), ms(timeout)));
    rethrow_hook_error();
    if (!raw) return std::nullopt;
    Message message(std::move(raw));
    throw_if_fatal(message);
    return message;
}

std::size_t Consumer::poll_batch(std::vector<Message>& out, std::size_t max,
                                 std::chrono::milliseconds timeout) {
    std::size_t appended = 0;
    int wait_ms = ms(timeout);
    while (appended < max) {
        detail::MessagePtr raw(rd_kafka_consumer_poll(handle_.get(), wait_ms));
        wait_ms = 0;
        if (!raw) break;
        Message message(std::move(raw));
        if (message.is_error()) {
            throw_if_fatal(message);
            log::warn("kafka consumer: {} ({})", message.error_text(),
                      error_name(message.error()));
            continue;
        }
        out.push_back(std::move(message));
        ++appended;
    }
    rethrow_hook_error();
    return appended;
}

void Consumer::commit(const std::vector<TopicPartition>& offsets) {
    if (offsets.empty()) return;
    auto list = detail::to_list(offsets);
    check(rd_kafka_commit(handle_.get(), list.get(), 0),
          fmt::format("cannot commit offsets of {}", describe(offsets)).c_str());
    check(detail::first_error(list.get()),
          fmt::format("cannot commit offsets of {}", describe(offsets)).c_str());
}

std::vector<TopicPartition> Consumer::committed(const std::vector<TopicPartition>& partitions,
                                                std::chrono::milliseconds timeout) {
    auto list = detail::to_list(partitions);
    check(rd_kafka_committed(handle_.get(), list.get(), ms(timeout)),
          "cannot read committed offsets");
    check(detail::first_error(list.get()), "cannot read committed offsets");
    return detail::from_list(list.get());
}

std::vector<TopicPartition> Consumer::assignment() const {
    rd_kafka_topic_partition_list_t* raw = nullptr;
    check(rd_kafka_assignment(handle_.get(), &raw), "cannot read assignment");
    const detail::PartitionListPtr list(raw);
    return detail::from_list(list.get());
}

void Consumer::pause(const std::vector<TopicPartition>& partitions) {
    auto list = detail::to_list(partitions);
    check(rd_kafka_pause_partitions(handle_.get(), list.get()), "cannot pause partitions");
    check(detail::first_error(list.get()), "cannot pause partitions");
}

void Consumer::resume(const std::vector<TopicPartition>& partitions) {
    auto list = detail::to_list(partitions);
    check(rd_kafka_resume_partitions(handle_.get(), list.get()), "cannot resume partitions");
    check(detail::first_error(list.get()), "cannot resume partitions");
}

void Consumer::seek(const std::vector<TopicPartition>& partitions,
                    std::chrono::milliseconds timeout) {
    if (partitions.empty()) return;
    auto list = detail::to_list(partitions);
    const detail::ErrorPtr error(rd_kafka_seek_partitions(handle_.get(), list.get(), ms(timeout)));
    if (error) {
        throw detail::error_of(fmt::format("cannot seek {}", describe(partitions)), error.get());
    }
    check(detail::first_error(list.get()),
          fmt::format("cannot seek {}", describe(partitions)).c_str());
}

Watermarks Consumer::query_watermarks(const std::string& topic, std::int32_t partition,
                                      std::chrono::milliseconds timeout) {
    return detail::query_watermarks(handle_.get(), topic, partition, timeout);
}

std::optional<Watermarks> Consumer::cached_watermarks(const std::string& topic,
                                                     std::int32_t partition) const {
    Watermarks w;
    if (rd_kafka_get_watermark_offsets(handle_.get(), topic.c_str(), partition, &w.low,
                                       &w.high) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        w.high < 0) {
        return std::nullopt;
    }
    return w;
}

std::vector<TopicMetadata> Consumer::list_topics(std::chrono::milliseconds timeout) {
    return detail::list_topics(handle_.get(), timeout);
}

std::string Consumer::rebalance_protocol() const {
    const char* protocol = rd_kafka_rebalance_protocol(handle_.get());
    return protocol != nullptr ? protocol : "NONE";
}

std::string Consumer::member_id() const {
    char* id = rd_kafka_memberid(handle_.get());
    if (id == nullptr) return {};
    std::string result(id);
    rd_kafka_mem_free(handle_.get(), id);
    return result;
}

void Consumer::close() {
    if (closed_) return;
    closed_ = true;
    const auto err = rd_kafka_consumer_close(handle_.get());
    rethrow_hook_error();
    check(err, "cannot leave the consumer group");
}

void Consumer::rebalance_trampoline(rd_kafka_t* /*rk*/, rd_kafka_resp_err_t err,
                                    rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    static_cast<Consumer*>(opaque)->on_rebalance(err, partitions);
}

void Consumer::on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) {
    rd_kafka_t* rk = handle_.get();
    const char* protocol = rd_kafka_rebalance_protocol(rk);
    const bool cooperative = protocol != nullptr && std::strcmp(protocol, "COOPERATIVE") == 0;
    detail::ErrorPtr error;
    rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        run_hook(hooks_.on_assigned, partitions);
        if (cooperative) {
            // Left to librdkafka: under the cooperative protocol 2.0.2 answers no committed-offset
            // fetch made from inside this callback (it times out).
            error.reset(rd_kafka_incremental_assign(rk, partitions));
        } else {
            const detail::PartitionListPtr starting(
                rd_kafka_topic_partition_list_copy(partitions));
            set_start_offsets(starting.get());
            code = rd_kafka_assign(rk, starting.get());
        }
    } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        if (rd_kafka_assignment_lost(rk) != 0) {
            log::warn(
                "kafka consumer: assignment lost (session timed out); another member may "
                "already own these partitions");
        }
        run_hook(hooks_.on_revoked, partitions);
        if (cooperative) {
            error.reset(rd_kafka_incremental_unassign(rk, partitions));
        } else {
            code = rd_kafka_assign(rk, nullptr);
        }
    } else {
        log::error("kafka consumer: rebalance failed: {}", rd_kafka_err2str(err));
        code = rd_kafka_assign(rk, nullptr);
    }
    if (error) code = rd_kafka_error_code(error.get());
    if (code != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log::error("kafka consumer: applying the new assignment failed: {}",
                   rd_kafka_err2str(code));
    }
}

void Consumer::set_start_offsets(rd_kafka_topic_partition_list_t* partitions) {
    // librdkafka 2.0.2 fetches the committed offsets of a new assignment itself, but a
    // request-level NOT_COORDINATOR (the coordinator moved, e.g. after a broker paused past its
    // session) leaves those partitions waiting for an offset forever, never fetched again
    // (confluentinc/librdkafka#5586). So they are read here, asking again while the coordinator
    // moves, and assigned at explicit offsets; only when that keeps failing is the fetch left to
    // librdkafka.
    rd_kafka_t* rk = handle_.get();
    const auto deadline = std::chrono::steady_clock::now() + kStartOffsetsTimeout;
    std::chrono::milliseconds pause{50};
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    for (;;) {
        for (int i = 0; i < partitions->cnt; ++i) {
            partitions->elems[i].offset = RD_KAFKA_OFFSET_INVALID;
            partitions->elems[i].err = RD_KAFKA_RESP_ERR_NO_ERROR;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        err = rd_kafka_committed(rk, partitions, ms(std::max(left, pause)));
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) err = detail::first_error(partitions);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR || !is_retryable_code(detail::code_of(err))) break;
        if (std::chrono::steady_clock::now() + pause >= deadline) break;
        std::this_thread::sleep_for(pause);  // back-off before asking the coordinator again
        pause = std::min(pause * 2, std::chrono::milliseconds(1000));
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log::warn("kafka consumer: cannot read the committed offsets of the new assignment "
                  "({}); librdkafka fetches them itself",
                  rd_kafka_err2name(err));
        for (int i = 0; i < partitions->cnt; ++i) {
            partitions->elems[i].offset = RD_KAFKA_OFFSET_INVALID;
            partitions->elems[i].err = RD_KAFKA_RESP_ERR_NO_ERROR;
        }
        return;
    }
    std::array<char, 32> reset{};
    std::size_t size = reset.size();
    if (rd_kafka_conf_get(rd_kafka_conf(rk), "auto.offset.reset", reset.data(), &size) !=
        RD_KAFKA_CONF_OK) {
        reset[0] = '\0';
    }
    for (int i = 0; i < partitions->cnt; ++i) {
        partitions->elems[i].offset = detail::start_offset(partitions->elems[i].offset,
                                                           reset.data());
    }
}

void Consumer::run_hook(const std::function<void(const std::vector<TopicPartition>&)>& hook,
                        const rd_kafka_topic_partition_list_t* partitions) noexcept {
    if (!hook) return;
    try {
        hook(detail::from_list(partitions));
    } catch (...) {
        if (!hook_error_) hook_error_ = std::current_exception();
    }
}

void Consumer::rethrow_hook_error() {
    if (hook_error_) std::rethrow_exception(std::exchange(hook_error_, nullptr));
}

void Consumer::throw_if_fatal(const Message& message) const {
    if (message.error() != ErrorCode::kFatal) return;
    std::array<char, 512> reason{};
    const auto code = rd_kafka_fatal_error(handle_.get(), reason.data(), reason.size());
    throw detail::error_of(
        fmt::format("kafka consumer fatal error {}: {}", rd_kafka_err2name(code), reason.data()),
        RD_KAFKA_RESP_ERR__FATAL);
}

}  // namespace kt::kafka
