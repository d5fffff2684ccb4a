#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lib/kafka/detail/handles.hpp"
#include "lib/kafka/message.hpp"
#include "lib/kafka/metadata.hpp"
#include "lib/kafka/options.hpp"
#include "lib/kafka/topic_partition.hpp"
#include "lib/non_copyable.hpp"

namespace kt::kafka {

/// Callbacks run on the polling thread, inside poll()/poll_batch()/close(), BEFORE librdkafka
/// changes the assignment: on_revoked is the last chance to commit what was done for those
/// partitions. Offsets in the lists are meaningless. An exception thrown by a hook does not stop
/// the rebalance; it is rethrown from the poll call that ran the hook (poll() then drops the
/// message it had fetched, so treat it as fatal for this Consumer and recreate it).
struct RebalanceHooks {
    std::function<void(const std::vector<TopicPartition>&)> on_assigned;
    std::function<void(const std::vector<TopicPartition>&)> on_revoked;
};

/// A member of a consumer group with manual, synchronous commits of explicit offsets.
/// Defaults (each overridable through Options::properties): enable.auto.commit=false,
/// enable.auto.offset.store=false, auto.offset.reset=earliest. Works with the EAGER and
/// COOPERATIVE rebalance protocols (partition.assignment.strategy). Not thread-safe: use one
/// Consumer from one thread. Registered with librdkafka as opaque, so neither copied nor moved.
/// Every Message it returned must be destroyed before it: librdkafka's destroy waits for them.
class Consumer : private NonCopyable {
public:
    /// Creates the client; throws kt::Error when group_id is empty or a property is rejected.
    explicit Consumer(const Options& options, RebalanceHooks hooks = {});
    /// Leaves the group (close()) unless already closed; never throws.
    ~Consumer();

    /// Joins the group for `topics` (replaces an earlier subscription); throws KafkaError.
    void subscribe(const std::vector<std::string>& topics);
    /// Waits up to `timeout` for one message or error event (see Message::is_error); serves
    /// rebalances. Throws KafkaError when the client hit a fatal error, or a hook's exception.
    [[nodiscard]] std::optional<Message> poll(std::chrono::milliseconds timeout);
    /// Appends up to `max` messages to `out`, waiting up to `timeout` for the first one only.
    /// Non-fatal error events are logged and skipped. Returns how many were appended.
    std::size_t poll_batch(std::vector<Message>& out, std::size_t max,
                           std::chrono::milliseconds timeout);
    /// Synchronously commits `offsets` (each = next offset to read); throws KafkaError.
    void commit(const std::vector<TopicPartition>& offsets);
    /// This group's committed offsets for `partitions` (kNoOffset when none); throws KafkaError.
    [[nodiscard]] std::vector<TopicPartition> committed(
        const std::vector<TopicPartition>& partitions, std::chrono::milliseconds timeout);
    /// Partitions currently assigned to this member.
    [[nodiscard]] std::vector<TopicPartition> assignment() const;
    /// Stops fetching from `partitions` (messages already fetched may still be returned once).
    void pause(const std::vector<TopicPartition>& partitions);
    /// Restarts fetching from `partitions` where it stopped.
    void resume(const std::vector<TopicPartition>& partitions);
    /// Moves the fetch position of assigned `partitions` to each one's offset and waits up to
    /// `timeout` until no message fetched from the old position can be returned any more.
    /// Works on paused partitions (they stay paused). Throws KafkaError.
    void seek(const std::vector<TopicPartition>& partitions, std::chrono::milliseconds timeout);
    /// Low/high watermarks of one partition, asked of its leader; throws KafkaError.
    [[nodiscard]] Watermarks query_watermarks(const std::string& topic, std::int32_t partition,
                                              std::chrono::milliseconds timeout);
    /// Watermarks of one partition as last seen in fetch responses: no broker round trip, and
    /// safe to call from any thread while another polls. Nullopt until a fetch reported them.
    [[nodiscard]] std::optional<Watermarks> cached_watermarks(const std::string& topic,
                                                              std::int32_t partition) const;
    /// Every topic the cluster knows; throws KafkaError on timeout.
    [[nodiscard]] std::vector<TopicMetadata> list_topics(std::chrono::milliseconds timeout);
    /// "EAGER", "COOPERATIVE" or "NONE" (before the first assignment).
    [[nodiscard]] std::string rebalance_protocol() const;
    /// Group member id given by the coordinator; empty before joining.
    [[nodiscard]] std::string member_id() const;
    /// Revokes the assignment (running on_revoked), leaves the group. Idempotent; throws
    /// KafkaError or a hook's exception.
    void close();

private:
    static void rebalance_trampoline(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                     rd_kafka_topic_partition_list_t* partitions, void* opaque);
    void on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);
    /// Sets each partition's offset to where it starts: its committed offset, else the one
    /// auto.offset.reset names; leaves them unset (librdkafka fetches them) when the committed
    /// offsets cannot be read within kStartOffsetsTimeout. Eager assignments only.
    void set_start_offsets(rd_kafka_topic_partition_list_t* partitions);
    void run_hook(const std::function<void(const std::vector<TopicPartition>&)>& hook,
                  const rd_kafka_topic_partition_list_t* partitions) noexcept;
    void rethrow_hook_error();
    void throw_if_fatal(const Message& message) const;

    RebalanceHooks hooks_;
    std::exception_ptr hook_error_;
    bool closed_ = false;
    detail::HandlePtr handle_;  // last: destroyed first, while hooks_ is still alive
};

}  // namespace kt::kafka
