#include "workers/common/commit_pacer.hpp"

#include <algorithm>
#include <utility>

#include "workers/common/batch_plan.hpp"

namespace kt::workers {

CommitPacer::CommitPacer(std::string topic, std::chrono::steady_clock::duration every,
                         std::chrono::steady_clock::time_point now)
    : topic_(std::move(topic)), every_(every), last_(now) {}

void CommitPacer::add(std::span<const InMessage> messages) {
    for (const kafka::TopicPartition& next : commit_offsets(topic_, messages)) {
        const auto [it, added] = offsets_.try_emplace(next.partition, next.offset);
        if (!added) it->second = std::max(it->second, next.offset);
    }
    for (const InMessage& m : messages) ++messages_[m.partition];
}

void CommitPacer::drop(std::int32_t partition) {
    offsets_.erase(partition);
    messages_.erase(partition);
}

bool CommitPacer::due(std::chrono::steady_clock::time_point now, bool backlog) const {
    return !offsets_.empty() && (!backlog || now - last_ >= every_);
}

std::vector<kafka::TopicPartition> CommitPacer::offsets() const {
    std::vector<kafka::TopicPartition> out;
    out.reserve(offsets_.size());
    for (const auto& [partition, offset] : offsets_) out.push_back({topic_, partition, offset});
    return out;
}

std::map<std::int32_t, std::int64_t> CommitPacer::committed(
    std::chrono::steady_clock::time_point now) {
    std::map<std::int32_t, std::int64_t> out = std::move(messages_);
    offsets_.clear();
    messages_.clear();
    last_ = now;
    return out;
}

}  // namespace kt::workers
