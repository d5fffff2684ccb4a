#include "workers/common/batch_plan.hpp"

#include <algorithm>
#include <map>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "workers/common/doc_version.hpp"

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

std::vector<kafka::TopicPartition> commit_offsets(const std::string& topic,
                                                  std::span<const InMessage> messages) {
    std::vector<std::int32_t> partitions;
    std::vector<std::int64_t> offsets;
    partitions.reserve(messages.size());
    offsets.reserve(messages.size());
    for (const auto& m : messages) {
        partitions.push_back(m.partition);
        offsets.push_back(m.offset);
    }
    return commit_offsets(topic, partitions, offsets);
}

void drop_revoked(std::vector<InMessage>& messages, const std::set<std::int32_t>& assigned) {
    std::erase_if(messages, [&](const InMessage& m) { return assigned.count(m.partition) == 0; });
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

std::vector<es::BulkAction> plan_actions(std::span<const LoadedSlice> slices) {
    std::vector<es::BulkAction> actions;
    for (const auto& slice : slices) {
        const std::int64_t version = external_version(slice.result->version);
        std::unordered_map<std::string_view, const pg::LoadedRow*> found;
        found.reserve(slice.result->rows.size());
        for (const auto& row : slice.result->rows) found.emplace(row.id, &row);
        for (const auto& id : slice.ids) {
            const auto it = found.find(id);
            if (it != found.end()) {
                actions.push_back(
                    {es::BulkAction::Op::kIndex, it->second->id, it->second->doc, version});
            } else {
                actions.push_back({es::BulkAction::Op::kDelete, id, {}, version});
            }
        }
        // A row whose id text differs from the one asked for (`007` read back as `7`) is still
        // the row's current state: index it under the id Postgres returned.
        const std::unordered_set<std::string_view> asked(slice.ids.begin(), slice.ids.end());
        for (const auto& row : slice.result->rows) {
            if (asked.count(row.id) == 0) {
                actions.push_back({es::BulkAction::Op::kIndex, row.id, row.doc, version});
            }
        }
    }
    return actions;
}

}  // namespace kt::workers
