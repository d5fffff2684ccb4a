#include "workers/common/batch_plan.hpp"

#include <algorithm>
#include <map>
#include <string_view>
#include <unordered_set>

namespace kt::workers {

std::vector<kafka::TopicPartition> commit_offsets(const std::string& topic,
                                                  std::span<const std::int32_t> partitions,
                                                  std::span<const std::int64_t> offsets) {
    std::map<std::int32_t, std::int64_t> next;
    for (std::size_t i = 0; i < partitions.size() && i < offsets.size(); ++i) {
        auto [it, fresh] = next.emplace(partitions[i], offsets[i] + 1);
        if (!fresh) it->second = std::max(it->second, offsets[i] + 1);
    }
    std::vector<kafka::TopicPartition> out;
    out.reserve(next.size());
    for (const auto& [partition, offset] : next) out.push_back({topic, partition, offset});
    return out;
}

std::vector<std::string> distinct_ids(std::span<const BatchEntry> entries) {
    std::vector<std::string> ids;
    std::unordered_set<std::string_view> seen;
    seen.reserve(entries.size());
    ids.reserve(entries.size());
    for (const auto& e : entries) {
        if (seen.insert(e.id).second) ids.push_back(e.id);
    }
    return ids;
}

}  // namespace kt::workers
