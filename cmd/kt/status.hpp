#pragma once

#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "lib/config/config.hpp"
#include "lib/http/status_report.hpp"

namespace kt::cmd {

/// The command line of `kt status`.
struct StatusArgs {
    /// Time between the two looks at the committed offsets (messages/s), e.g. `1s`.
    std::string interval = "1s";
    /// Base URLs (or `/status.json` URLs) of running workers to merge in.
    std::vector<std::string> workers;
    /// Serve the page on this port instead of printing once (0: any free port).
    std::optional<int> serve_port;
};

/// One consumer group `kt status` reports, derived from the config.
struct StatusTarget {
    std::string worker;  ///< indexer, delayer or cascader
    std::string name;
    std::string group;  ///< `<group_prefix>.<worker>.<name>`
    std::string topic;
    std::string dead_letter_topic;
};

/// Every group of `config`: indexes, then delayers, then cascades, each in file order.
[[nodiscard]] std::vector<StatusTarget> status_targets(const config::Config& config);

/// One partition as Kafka reported it.
struct PartitionOffsets {
    std::int32_t partition = 0;
    std::int64_t committed = http::kUnknownOffset;  ///< the group's; unknown when none
    std::int64_t low = 0;
    std::int64_t high = 0;
};

/// What one look at Kafka found for one target.
struct GroupOffsets {
    std::string problem;  ///< e.g. the topic does not exist; empty when fine
    std::vector<PartitionOffsets> partitions;
    /// End offsets of the dead-letter topic, summed; nullopt when it does not exist.
    std::optional<std::int64_t> dead_letters;
};

/// One look at Kafka: per target (same order), taken at `seconds` on a monotonic clock.
struct OffsetsSample {
    double seconds = 0;
    std::vector<GroupOffsets> groups;
};

/// The report from two looks at Kafka (`before` may be empty: rates are then 0): committed
/// offsets, end offsets and lag from `after`, messages/s from the progress of the committed
/// offsets in between; for delayers, the held envelopes are the lag. Pure.
[[nodiscard]] http::StatusReport build_status_report(const std::vector<StatusTarget>& targets,
                                                     const OffsetsSample& before,
                                                     const OffsetsSample& after,
                                                     double generated_at);

/// The report as a text table (one row per partition) followed by one line per group that has
/// something to add (held envelopes, next release, last error, problem). Pure.
[[nodiscard]] std::string render_status_table(const http::StatusReport& report);

/// `kt status`: prints the table, or with `serve_port` serves the page and `/status.json`
/// (refreshed every interval) until `stop`. Returns the exit code: 0 ok, 1 Kafka or a worker
/// did not answer, 2 usage error.
int run_status(const config::Config& config, const StatusArgs& args, std::stop_token stop);

}  // namespace kt::cmd
