#pragma once

#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "lib/config/config.hpp"
#include "lib/http/status_report.hpp"
#include "lib/kafka/admin.hpp"
#include "lib/pg/slot_readers.hpp"

// What `kt status` reports: the consumer groups of a config, their offsets as Kafka has them,
// and the live rows of running workers merged in.
namespace kt::workers {

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

/// One look at Kafka for every target. It gives up between two requests once `stop` is
/// requested (what it returns then is incomplete), so a stop waits for one request at most.
/// Throws kt::Error when Kafka does not answer.
[[nodiscard]] OffsetsSample sample_offsets(kafka::Admin& admin,
                                           const std::vector<StatusTarget>& targets,
                                           std::stop_token stop);

/// Merges every worker's /status.json (a base URL or the page's own) into `report`; returns
/// the problems, one per worker. Asks no further worker once `stop` is requested.
[[nodiscard]] std::vector<std::string> merge_workers(http::StatusReport& report,
                                                     const std::vector<std::string>& workers,
                                                     std::stop_token stop = {});

/// kt-capture's slot (the config's `capture.slot`) as one look at PostgreSQL found it.
struct SlotStatus {
    std::string slot;
    std::string publication;
    std::string error;                    ///< why it could not be read; empty when fine
    std::optional<pg::SlotReader> reader;  ///< nullopt: no such slot (or an error)
};

/// Reads the slot of `config.capture` (which must be set); never throws (the error is kept).
[[nodiscard]] SlotStatus capture_slot_status(const config::Config& config);

/// Who streams the slot and how far behind it is, one line; empty when nobody does
/// (slot_group's problem says why). Pure.
[[nodiscard]] std::string slot_reader_line(const SlotStatus& status);

/// The slot as a group of the report (worker `capture`, group = the slot, no partitions), so
/// that the running kt-capture replicas' status merges in; its problem says when the slot is
/// inactive, missing or unreadable. Pure.
[[nodiscard]] http::GroupStatus slot_group(const SlotStatus& status);

/// Adds what running kt-capture replicas report beyond their errors (tables truncated, whose
/// indexes need kt reindex) to the capture groups of `report`; a standby's own state is left
/// out. Pure.
void merge_capture_problems(http::StatusReport& report, const http::StatusReport& live);

}  // namespace kt::workers
