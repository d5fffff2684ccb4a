#include "tools/devbroker/detail/protocol_names.hpp"

#include <array>
#include <charconv>
#include <utility>

namespace kt::devbroker {

namespace {

struct ApiName {
    std::string_view name;
    std::int16_t key;
};

constexpr std::array<ApiName, 37> kApiNames = {{
    {"Produce", 0},
    {"Fetch", 1},
    {"ListOffsets", 2},
    {"Metadata", 3},
    {"LeaderAndIsr", 4},
    {"StopReplica", 5},
    {"UpdateMetadata", 6},
    {"ControlledShutdown", 7},
    {"OffsetCommit", 8},
    {"OffsetFetch", 9},
    {"FindCoordinator", 10},
    {"JoinGroup", 11},
    {"Heartbeat", 12},
    {"LeaveGroup", 13},
    {"SyncGroup", 14},
    {"DescribeGroups", 15},
    {"ListGroups", 16},
    {"SaslHandshake", 17},
    {"ApiVersions", 18},
    {"CreateTopics", 19},
    {"DeleteTopics", 20},
    {"DeleteRecords", 21},
    {"InitProducerId", 22},
    {"OffsetForLeaderEpoch", 23},
    {"AddPartitionsToTxn", 24},
    {"AddOffsetsToTxn", 25},
    {"EndTxn", 26},
    {"WriteTxnMarkers", 27},
    {"TxnOffsetCommit", 28},
    {"DescribeAcls", 29},
    {"CreateAcls", 30},
    {"DeleteAcls", 31},
    {"DescribeConfigs", 32},
    {"AlterConfigs", 33},
    {"SaslAuthenticate", 36},
    {"CreatePartitions", 37},
    {"DeleteGroups", 42},
}};

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

std::optional<int> parse_int(std::string_view text) {
    int value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
    return value;
}

}  // namespace

std::optional<std::int16_t> api_key_from_name(std::string_view name) {
    if (const auto number = parse_int(name)) {
        if (*number < 0 || *number > 32767) return std::nullopt;
        return static_cast<std::int16_t>(*number);
    }
    for (const auto& api : kApiNames) {
        if (iequals(api.name, name)) return api.key;
    }
    return std::nullopt;
}

std::optional<rd_kafka_resp_err_t> error_from_name(std::string_view name) {
    if (const auto number = parse_int(name)) return static_cast<rd_kafka_resp_err_t>(*number);
    constexpr std::string_view kPrefix = "RD_KAFKA_RESP_ERR_";
    if (name.substr(0, kPrefix.size()) == kPrefix) name.remove_prefix(kPrefix.size());
    const rd_kafka_err_desc* descs = nullptr;
    std::size_t count = 0;
    rd_kafka_get_err_descs(&descs, &count);
    for (std::size_t i = 0; i < count; ++i) {
        if (descs[i].name != nullptr && iequals(descs[i].name, name)) return descs[i].code;
    }
    return std::nullopt;
}

std::optional<std::pair<std::string, int>> parse_topic_spec(std::string_view spec) {
    const auto colon = spec.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    const auto partitions = parse_int(spec.substr(colon + 1));
    if (!partitions || *partitions < 1) return std::nullopt;
    return std::make_pair(std::string(spec.substr(0, colon)), *partitions);
}

}  // namespace kt::devbroker
