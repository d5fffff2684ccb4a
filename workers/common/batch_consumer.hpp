#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

#include "lib/http/status_report.hpp"
#include "lib/kafka/consumer.hpp"
#include "lib/kafka/message.hpp"
#include "lib/kafka/options.hpp"
#include "workers/common/commit_pacer.hpp"
#include "workers/common/ports.hpp"

namespace kt::workers {

/// A consumer-group member on one topic that hands out batches and commits them: the shared
/// front half of the indexer and the cascader loops. Tracks the assigned partitions and their
/// committed offsets for lag. Messages of partitions revoked while polling are dropped, never
/// committed (the new owner reads them again from the last commit). While the topic has a
/// backlog, handled batches are committed together at most kCommitEvery apart (CommitPacer);
/// caught up, and when leaving, at once. The loop methods run on one thread; lag() is
/// thread-safe.
class BatchConsumer final : public MessageSource {
public:
    /// Joins `options.group_id` for `topic`; `who` prefixes log lines (e.g. `index products`).
    /// Throws kt::Error when the client cannot be created.
    BatchConsumer(const kafka::Options& options, std::string topic, std::string who);

    /// Fills `out` with up to `max` messages: waits up to 100 ms for the first, then until
    /// `wait` has passed since it or `max` is reached, or `stop_waiting` answers true (asked
    /// every few milliseconds). Returns false when nothing arrived.
    bool fill(const std::stop_token& stop, InBatch& out, std::size_t max,
              std::chrono::milliseconds wait,
              const std::function<bool()>& stop_waiting) override;
    /// Commits one past the highest offset of `messages` per partition, now or, while a backlog
    /// lasts, with the batches after it (within kCommitEvery). Returns false, having committed
    /// nothing, when this member lost its place in the group (e.g. a batch retried for longer
    /// than max.poll.interval.ms): the batches since the last commit are then abandoned, the
    /// next fill() rejoins and the partitions' owner reads them again from the last commit.
    /// Throws KafkaError otherwise (what waits is kept for the next try).
    [[nodiscard]] bool commit(std::span<const InMessage> messages) override;
    /// Messages on the topic not yet committed, per assigned partition (cached watermarks).
    [[nodiscard]] std::map<std::int32_t, std::int64_t> lag() const override;
    /// Per assigned partition: committed offset (by this member), end (cached watermark), lag
    /// and messages committed per second over the last 10 s. Thread-safe.
    [[nodiscard]] std::vector<http::PartitionStatus> partitions() const override;
    /// Commits what waits, revokes (running the hooks) and leaves the group; logs instead of
    /// throwing.
    void close() noexcept override;
    /// The topic consumed.
    [[nodiscard]] const std::string& topic() const noexcept { return topic_; }

private:
    /// Reads the group's committed offsets of newly assigned partitions (loop thread), so that
    /// lag is right before this member commits anything (e.g. right after a restart).
    void learn_committed();
    /// Commits what the pacer holds; false when this member lost its place in the group.
    bool flush();

    /// How far apart commits may be while a backlog lasts.
    static constexpr std::chrono::seconds kCommitEvery{1};

    std::string topic_;
    std::string who_;
    mutable std::mutex mutex_;
    std::set<std::int32_t> assigned_;
    std::map<std::int32_t, std::int64_t> committed_;  ///< next offset per assigned partition
    std::map<std::int32_t, http::RateMeter> rates_;   ///< committed messages per partition
    std::set<std::int32_t> unknown_committed_;        ///< assigned, committed offset not read
    CommitPacer pacer_;                               ///< handled, not yet committed (loop thread)
    bool backlog_ = false;                            ///< the last fill() was full
    std::unique_ptr<kafka::Consumer> consumer_;       // last: its hooks use the members above
};

}  // namespace kt::workers
