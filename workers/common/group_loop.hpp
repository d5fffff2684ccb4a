#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "lib/http/check.hpp"
#include "lib/http/liveness.hpp"
#include "lib/http/status_report.hpp"
#include "lib/metrics/labels.hpp"
#include "lib/metrics/registry.hpp"
#include "workers/common/batch_retry.hpp"
#include "workers/common/last_error.hpp"
#include "workers/common/ports.hpp"

namespace kt::workers {

/// The parts the batch loops on a consumer group share around their MessageSource and
/// BatchRetry: lag metric, health, status row and the start-up query check.

/// Registers `metric` as a gauge with one series per assigned partition of `consumer`: its
/// lag, labelled `labels` plus `partition`. `consumer` must outlive the registry's scrapes.
void export_lag(metrics::Registry& registry, std::string_view metric, std::string_view help,
                const metrics::Labels& labels, const MessageSource& consumer);

/// The series of `kt_<worker>_batches_total` ("Batches by outcome") of the config entry `name`,
/// labelled `key` (index, delayer, cascade) and `outcome` (committed or failed).
metrics::Counter& batches_counter(metrics::Registry& registry, std::string_view worker,
                                  const std::string& key, const std::string& name,
                                  const std::string& outcome);

/// Healthy unless `consumer` has lag and the loop committed nothing for `stall_timeout`.
[[nodiscard]] http::Check group_health(http::Liveness& liveness, const MessageSource& consumer,
                                       std::chrono::milliseconds stall_timeout);

/// Who a loop is, for its status row.
struct GroupIdentity {
    std::string worker;  ///< indexer, cascader
    std::string name;    ///< the config entry
    std::string group;   ///< the consumer group id
    std::string topic;
    std::string dead_letter_topic;
};

/// The status page's row of one loop: identity, partitions, dead letters, latest error.
[[nodiscard]] http::GroupStatus group_status(GroupIdentity identity,
                                             std::vector<http::PartitionStatus> partitions,
                                             const LastError& error, double dead_letters);
/// group_status() of a loop on a MessageSource with a BatchRetry.
[[nodiscard]] http::GroupStatus group_status(GroupIdentity identity, const MessageSource& consumer,
                                             const BatchRetry& retry, double dead_letters);

/// At start, before consuming: runs `check` (the loop's query with no ids) until it does not
/// throw pg::QueryError, which is logged as `<who>: its query cannot run; not ready until it
/// can: ...` and retried with `retry`'s backoff (readiness false meanwhile), so a missing table
/// is reported at once and a migration that creates it needs no restart. Other kt::Error (an
/// unreachable server) end the check: the batches wait for the server as they always do.
void wait_until_query_runs(const std::stop_token& stop, BatchRetry& retry, std::string_view who,
                           const std::function<void()>& check);

}  // namespace kt::workers
