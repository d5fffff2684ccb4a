#include "workers/common/batch_consumer.hpp"

#include <algorithm>

#include "lib/kafka/error.hpp"
#include "lib/log/log.hpp"
#include "workers/common/batch_plan.hpp"

namespace kt::workers {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

BatchConsumer::BatchConsumer(const kafka::Options& options, std::string topic, std::string who)
    : topic_(std::move(topic)), who_(std::move(who)) {
    kafka::RebalanceHooks hooks;
    hooks.on_assigned = [this](const std::vector<kafka::TopicPartition>& parts) {
        std::lock_guard lock(mutex_);
        for (const auto& p : parts) {
            assigned_.insert(p.partition);
            committed_[p.partition] = kafka::kNoOffset;
        }
        log::info("{}: assigned {} partition(s) of {}", who_, parts.size(), topic_);
    };
    hooks.on_revoked = [this](const std::vector<kafka::TopicPartition>& parts) {
        std::lock_guard lock(mutex_);
        for (const auto& p : parts) {
            assigned_.erase(p.partition);
            committed_.erase(p.partition);
        }
        log::info("{}: revoked {} partition(s)", who_, parts.size());
    };
    consumer_ = std::make_unique<kafka::Consumer>(options, std::move(hooks));
    consumer_->subscribe({topic_});
}

bool BatchConsumer::fill(const std::stop_token& stop, std::vector<kafka::Message>& out,
                         std::size_t max, milliseconds wait) {
    Clock::time_point deadline{};
    const std::size_t start = out.size();
    while (!stop.stop_requested() && out.size() - start < max) {
        milliseconds timeout{100};
        const bool was_empty = out.size() == start;
        if (!was_empty) {
            const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
            if (left.count() <= 0) break;
            timeout = std::min(timeout, left);
        }
        const auto n = consumer_->poll_batch(out, max - (out.size() - start), timeout);
        if (n == 0 && was_empty) break;
        if (was_empty && n > 0) deadline = Clock::now() + wait;
    }
    // Hooks ran on this thread inside poll_batch, so assigned_ is current.
    std::lock_guard lock(mutex_);
    const auto revoked = std::remove_if(
        out.begin() + static_cast<std::ptrdiff_t>(start), out.end(),
        [this](const kafka::Message& m) { return assigned_.count(m.partition()) == 0; });
    out.erase(revoked, out.end());
    return out.size() > start;
}

bool BatchConsumer::commit(std::span<const kafka::Message> messages) {
    std::vector<std::int32_t> partitions;
    std::vector<std::int64_t> offsets;
    partitions.reserve(messages.size());
    offsets.reserve(messages.size());
    for (const auto& m : messages) {
        partitions.push_back(m.partition());
        offsets.push_back(m.offset());
    }
    const auto commits = commit_offsets(topic_, partitions, offsets);
    if (commits.empty()) return true;
    try {
        consumer_->commit(commits);
    } catch (const kafka::KafkaError& e) {
        if (!kafka::is_membership_lost_code(e.code())) throw;
        log::warn(
            "{}: not committed, this member left the group ({}); the batch is abandoned "
            "and read again after rejoining",
            who_, rd_kafka_err2name(e.code()));
        return false;
    }
    std::lock_guard lock(mutex_);
    for (const auto& c : commits) {
        if (committed_.count(c.partition) != 0) committed_[c.partition] = c.offset;
    }
    return true;
}

std::map<std::int32_t, std::int64_t> BatchConsumer::lag() const {
    std::map<std::int32_t, std::int64_t> out;
    std::lock_guard lock(mutex_);
    for (const auto& [partition, committed] : committed_) {
        std::int64_t low = 0;
        std::int64_t high = 0;
        // Cached values from fetch responses: no broker round trip, safe from any thread.
        if (rd_kafka_get_watermark_offsets(consumer_->handle(), topic_.c_str(), partition, &low,
                                           &high) != RD_KAFKA_RESP_ERR_NO_ERROR ||
            high < 0) {
            continue;
        }
        const std::int64_t from = committed >= 0 ? committed : low;
        out[partition] = std::max<std::int64_t>(0, high - from);
    }
    return out;
}

void BatchConsumer::close() noexcept {
    try {
        consumer_->close();
    } catch (const std::exception& e) {
        log::warn("{}: leaving the group failed: {}", who_, e.what());
    }
}

}  // namespace kt::workers
