#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "lib/kafka/topic_partition.hpp"
#include "workers/common/ports.hpp"

namespace kt::workers {

/// The offsets of handled batches that wait to be committed together. Each commit costs the
/// broker a few milliseconds of CPU (about 3.5 ms on Kafka 4.4), as much as the rest of a
/// 1,000-message batch's share of Kafka, so while the topic has a backlog the offsets of several
/// batches go in one commit at most `every` apart; once the member is caught up, each batch is
/// committed at once. Either way an offset is committed only after its batch was handled, and
/// a crash repeats at most `every` of messages. Pure: no I/O, no clock.
class CommitPacer {
public:
    /// Offsets of `topic`, committed at most `every` apart while a backlog lasts; `now` starts
    /// the first period.
    CommitPacer(std::string topic, std::chrono::steady_clock::duration every,
                std::chrono::steady_clock::time_point now);

    /// Adds a handled batch: one past its highest offset per partition.
    void add(std::span<const InMessage> messages);
    /// Forgets the offsets of `partition` (revoked: its new owner reads them again).
    void drop(std::int32_t partition);
    /// Whether to commit now: something waits and either the member is caught up (`backlog`
    /// false: the last poll was not full) or `every` has passed since the last commit.
    [[nodiscard]] bool due(std::chrono::steady_clock::time_point now, bool backlog) const;
    /// Whether nothing waits.
    [[nodiscard]] bool empty() const noexcept { return offsets_.empty(); }
    /// What to commit: one past the highest handled offset per partition, sorted by partition.
    [[nodiscard]] std::vector<kafka::TopicPartition> offsets() const;
    /// Records that offsets() were committed (or given up) at `now`: forgets them, starts a new
    /// period and returns how many messages they covered per partition.
    std::map<std::int32_t, std::int64_t> committed(std::chrono::steady_clock::time_point now);

private:
    std::string topic_;
    std::chrono::steady_clock::duration every_;
    std::chrono::steady_clock::time_point last_;
    std::map<std::int32_t, std::int64_t> offsets_;   ///< next offset per partition
    std::map<std::int32_t, std::int64_t> messages_;  ///< messages handled per partition
};

}  // namespace kt::workers
