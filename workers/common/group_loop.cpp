#include "workers/common/group_loop.hpp"

#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "lib/config/redact.hpp"
#include "lib/error.hpp"
#include "lib/log/log.hpp"
#include "lib/pg/error.hpp"

namespace kt::workers {

metrics::Counter& batches_counter(metrics::Registry& registry, std::string_view worker,
                                  const std::string& key, const std::string& name,
                                  const std::string& outcome) {
    return registry.counter(fmt::format("kt_{}_batches_total", worker), "Batches by outcome",
                            {{key, name}, {"outcome", outcome}});
}

void export_lag(metrics::Registry& registry, std::string_view metric, std::string_view help,
                const metrics::Labels& labels, const MessageSource& consumer) {
    registry.gauge_callback(metric, help, [labels, &consumer] {
        std::vector<std::pair<metrics::Labels, double>> out;
        for (const auto& [partition, lag] : consumer.lag()) {
            metrics::Labels series = labels;
            series.emplace_back("partition", std::to_string(partition));
            out.emplace_back(std::move(series), static_cast<double>(lag));
        }
        return out;
    });
}

http::Check group_health(http::Liveness& liveness, const MessageSource& consumer,
                         std::chrono::milliseconds stall_timeout) {
    std::int64_t total = 0;
    for (const auto& [partition, n] : consumer.lag()) total += n;
    return liveness.check(std::chrono::steady_clock::now(), total, stall_timeout);
}

http::GroupStatus group_status(GroupIdentity identity,
                               std::vector<http::PartitionStatus> partitions,
                               const LastError& error, double dead_letters) {
    http::GroupStatus s;
    s.worker = std::move(identity.worker);
    s.name = std::move(identity.name);
    s.group = std::move(identity.group);
    s.topic = std::move(identity.topic);
    s.dead_letter_topic = std::move(identity.dead_letter_topic);
    s.dead_letters = static_cast<std::int64_t>(dead_letters);
    std::tie(s.last_error, s.last_error_at) = error.last();
    s.partitions = std::move(partitions);
    return s;
}

http::GroupStatus group_status(GroupIdentity identity, const MessageSource& consumer,
                               const BatchRetry& retry, double dead_letters) {
    return group_status(std::move(identity), consumer.partitions(), retry.error(), dead_letters);
}

void wait_until_query_runs(const std::stop_token& stop, BatchRetry& retry, std::string_view who,
                           const std::function<void()>& check) {
    (void)retry.run(stop, [&] {
        try {
            check();
        } catch (const pg::QueryError& e) {
            log::error("{}: its query cannot run; not ready until it can: {}", who,
                       config::redact(e.what()));
            throw;
        } catch (const kt::Error&) {
        }
        return true;
    });
}

}  // namespace kt::workers
