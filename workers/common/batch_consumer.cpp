#include "workers/common/batch_consumer.hpp"

#include <algorithm>
#include <map>

#include "lib/kafka/error.hpp"
#include "lib/log/log.hpp"
#include "workers/common/batch_plan.hpp"

namespace kt::workers {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// How long fill() waits for a first message.
constexpr milliseconds kFirstWait{100};
/// How often fill() asks its caller whether to stop waiting.
constexpr milliseconds kAskEvery{5};

}  // namespace

BatchConsumer::BatchConsumer(const kafka::Options& options, std::string topic, std::string who)
    : topic_(std::move(topic)), who_(std::move(who)), pacer_(topic_, kCommitEvery, Clock::now()) {
    kafka::RebalanceHooks hooks;
    hooks.on_assigned = [this](const std::vector<kafka::TopicPartition>& parts) {
        std::lock_guard lock(mutex_);
        for (const auto& p : parts) {
            assigned_.insert(p.partition);
            committed_[p.partition] = kafka::kNoOffset;
            rates_.insert_or_assign(p.partition, http::RateMeter(Clock::now()));
            unknown_committed_.insert(p.partition);
        }
        log::info("{}: assigned {} partition(s) of {}", who_, parts.size(), topic_);
    };
    hooks.on_revoked = [this](const std::vector<kafka::TopicPartition>& parts) {
        std::lock_guard lock(mutex_);
        for (const auto& p : parts) {
            assigned_.erase(p.partition);
            committed_.erase(p.partition);
            rates_.erase(p.partition);
            unknown_committed_.erase(p.partition);
            pacer_.drop(p.partition);
        }
        log::info("{}: revoked {} partition(s)", who_, parts.size());
    };
    consumer_ = std::make_unique<kafka::Consumer>(options, std::move(hooks));
    consumer_->subscribe({topic_});
}

bool BatchConsumer::fill(const std::stop_token& stop, InBatch& batch, std::size_t max,
                         milliseconds wait, const std::function<bool()>& stop_waiting) {
    auto polled = std::make_shared<std::vector<kafka::Message>>();
    polled->reserve(max);
    std::vector<kafka::Message>& out = *polled;
    learn_committed();
    // Nothing yet: up to kFirstWait for a first message; then until `wait` has passed since it.
    const Clock::time_point nothing_until = Clock::now() + kFirstWait;
    Clock::time_point deadline{};
    const milliseconds slice = stop_waiting ? kAskEvery : kFirstWait;
    while (!stop.stop_requested() && out.size() < max) {
        const bool was_empty = out.empty();
        const auto left = std::chrono::duration_cast<milliseconds>(
            (was_empty ? nothing_until : deadline) - Clock::now());
        if (left.count() <= 0) break;
        const auto n = consumer_->poll_batch(out, max - out.size(), std::min(slice, left));
        if (was_empty && n > 0) deadline = Clock::now() + wait;
        if (stop_waiting && stop_waiting()) break;
    }
    batch.messages.reserve(out.size());
    for (const auto& m : out) {
        batch.messages.push_back({m.partition(), m.offset(), m.payload(), m.key()});
    }
    batch.storage = std::move(polled);
    // Handled batches wait in the pacer only while polls come back full; caught up (or a
    // period later), they are committed before the next batch is handled.
    backlog_ = out.size() >= max;
    if (pacer_.due(Clock::now(), backlog_)) {
        try {
            (void)flush();
        } catch (const kt::Error& e) {
            log::warn("{}: commit failed, tried again with the next batch: {}", who_, e.what());
        }
    }
    // Hooks ran on this thread inside poll_batch, so assigned_ is current.
    std::lock_guard lock(mutex_);
    drop_revoked(batch.messages, assigned_);
    return !batch.messages.empty();
}

bool BatchConsumer::commit(std::span<const InMessage> messages) {
    pacer_.add(messages);
    return !pacer_.due(Clock::now(), backlog_) || flush();
}

bool BatchConsumer::flush() {
    const std::vector<kafka::TopicPartition> commits = pacer_.offsets();
    if (commits.empty()) return true;
    try {
        consumer_->commit(commits);
    } catch (const kafka::KafkaError& e) {
        if (!kafka::is_membership_lost_code(e.code())) throw;
        (void)pacer_.committed(Clock::now());
        log::warn(
            "{}: not committed, this member left the group ({}); the batches since the last "
            "commit are abandoned and read again after rejoining",
            who_, kafka::error_name(e.code()));
        return false;
    }
    const auto now = Clock::now();
    // One rate sample per partition and commit (a sample per message would keep every message
    // of the rate window in memory).
    const std::map<std::int32_t, std::int64_t> done = pacer_.committed(now);
    std::lock_guard lock(mutex_);
    for (const auto& c : commits) {
        if (committed_.count(c.partition) != 0) committed_[c.partition] = c.offset;
    }
    for (const auto& [partition, n] : done) {
        const auto it = rates_.find(partition);
        if (it != rates_.end()) it->second.add(now, n);
    }
    return true;
}

std::map<std::int32_t, std::int64_t> BatchConsumer::lag() const {
    std::map<std::int32_t, std::int64_t> out;
    std::lock_guard lock(mutex_);
    for (const auto& [partition, committed] : committed_) {
        // Cached values from fetch responses: no broker round trip, safe from any thread.
        const auto marks = consumer_->cached_watermarks(topic_, partition);
        if (!marks) continue;
        const std::int64_t from = committed >= 0 ? committed : marks->low;
        out[partition] = std::max<std::int64_t>(0, marks->high - from);
    }
    return out;
}

void BatchConsumer::learn_committed() {
    std::vector<kafka::TopicPartition> parts;
    {
        std::lock_guard lock(mutex_);
        for (const auto p : unknown_committed_) parts.push_back({topic_, p, kafka::kNoOffset});
        unknown_committed_.clear();
    }
    if (parts.empty()) return;
    std::vector<kafka::TopicPartition> found;
    try {
        found = consumer_->committed(parts, std::chrono::seconds(5));
    } catch (const kafka::KafkaError& e) {
        // Only the lag shown until the first commit is affected; the next commit corrects it.
        log::debug("{}: cannot read the committed offsets: {}", who_, e.what());
        return;
    }
    std::lock_guard lock(mutex_);
    for (const auto& f : found) {
        const auto it = committed_.find(f.partition);
        if (f.offset >= 0 && it != committed_.end() && it->second < 0) it->second = f.offset;
    }
}

std::vector<http::PartitionStatus> BatchConsumer::partitions() const {
    std::vector<http::PartitionStatus> out;
    const auto now = Clock::now();
    std::lock_guard lock(mutex_);
    for (const auto& [partition, committed] : committed_) {
        http::PartitionStatus p;
        p.partition = partition;
        p.committed = committed >= 0 ? committed : http::kUnknownOffset;
        if (const auto marks = consumer_->cached_watermarks(topic_, partition)) {
            p.end = marks->high;
            p.lag = http::consumer_lag(committed, marks->low, marks->high);
        }
        if (const auto it = rates_.find(partition); it != rates_.end()) {
            p.rate = it->second.per_second(now);
        }
        out.push_back(p);
    }
    return out;
}

void BatchConsumer::close() noexcept {
    try {
        (void)flush();
    } catch (const std::exception& e) {
        log::warn("{}: committing the handled batches before leaving failed: {}", who_,
                  e.what());
    }
    try {
        consumer_->close();
    } catch (const std::exception& e) {
        log::warn("{}: leaving the group failed: {}", who_, e.what());
    }
}

}  // namespace kt::workers
