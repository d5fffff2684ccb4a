#include "workers/status/status.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "lib/app/options_from_config.hpp"
#include "lib/config/redact.hpp"
#include "lib/error.hpp"
#include "lib/http/client.hpp"
#include "lib/kafka/options.hpp"

namespace kt::workers {

namespace {

constexpr std::chrono::seconds kKafkaTimeout{10};
constexpr std::chrono::seconds kWorkerTimeout{5};

double monotonic_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace

std::vector<StatusTarget> status_targets(const config::Config& config) {
    std::vector<StatusTarget> out;
    for (const auto& ix : config.indexes) {
        out.push_back({"indexer", ix.name, app::group_id(config.kafka, "indexer", ix.name),
                       ix.topic, ix.dead_letter_topic});
    }
    for (const auto& d : config.delayers) {
        out.push_back({"delayer", d.name, app::group_id(config.kafka, "delayer", d.name), d.topic,
                       d.dead_letter_topic});
    }
    for (const auto& c : config.cascades) {
        out.push_back({"cascader", c.name, app::group_id(config.kafka, "cascader", c.name),
                       c.topic, c.dead_letter_topic});
    }
    return out;
}

http::StatusReport build_status_report(const std::vector<StatusTarget>& targets,
                                       const OffsetsSample& before, const OffsetsSample& after,
                                       double generated_at) {
    http::StatusReport report;
    report.source = "kt status";
    report.generated_at = generated_at;
    const double seconds = after.seconds - before.seconds;
    for (std::size_t i = 0; i < targets.size(); ++i) {
        const StatusTarget& t = targets[i];
        http::GroupStatus g;
        g.worker = t.worker;
        g.name = t.name;
        g.group = t.group;
        g.topic = t.topic;
        g.dead_letter_topic = t.dead_letter_topic;
        if (i < after.groups.size()) {
            const GroupOffsets& now = after.groups[i];
            g.problem = now.problem;
            g.dead_letters = now.dead_letters;
            for (const auto& p : now.partitions) {
                http::PartitionStatus ps;
                ps.partition = p.partition;
                ps.committed = p.committed;
                ps.end = p.high;
                ps.lag = http::consumer_lag(p.committed, p.low, p.high);
                if (i < before.groups.size()) {
                    for (const auto& q : before.groups[i].partitions) {
                        if (q.partition == p.partition) {
                            ps.rate = http::rate_between(q.committed, p.committed, seconds);
                        }
                    }
                }
                g.partitions.push_back(ps);
            }
        }
        if (t.worker == "delayer" && g.problem.empty()) g.held = g.total_lag();
        report.groups.push_back(std::move(g));
    }
    return report;
}

OffsetsSample sample_offsets(kafka::Admin& admin, const std::vector<StatusTarget>& targets,
                             std::stop_token stop) {
    OffsetsSample sample;
    const auto topics = admin.list_topics(kKafkaTimeout);
    std::map<std::string, std::optional<std::int64_t>> dead_letter_ends;
    for (const auto& target : targets) {
        if (stop.stop_requested()) break;
        GroupOffsets group;
        const auto topic = kafka::find_topic(topics, target.topic);
        if (!topic || topic->error != kafka::ErrorCode::kNoError || topic->partitions == 0) {
            group.problem = fmt::format("topic {} does not exist", target.topic);
        } else {
            std::vector<kafka::TopicPartition> parts;
            for (std::int32_t p = 0; p < topic->partitions; ++p) {
                parts.push_back({target.topic, p, kafka::kNoOffset});
            }
            const auto committed = admin.committed(target.group, parts, kKafkaTimeout);
            for (const auto& c : committed) {
                if (stop.stop_requested()) break;
                const auto marks = admin.query_watermarks(target.topic, c.partition, kKafkaTimeout);
                group.partitions.push_back({c.partition,
                                            c.offset >= 0 ? c.offset : http::kUnknownOffset,
                                            marks.low, marks.high});
            }
            std::sort(group.partitions.begin(), group.partitions.end(),
                      [](const auto& a, const auto& b) { return a.partition < b.partition; });
        }
        auto [it, fresh] = dead_letter_ends.try_emplace(target.dead_letter_topic);
        if (fresh) {
            const auto dlq = kafka::find_topic(topics, target.dead_letter_topic);
            if (dlq && dlq->error == kafka::ErrorCode::kNoError) {
                std::int64_t total = 0;
                for (std::int32_t p = 0; p < dlq->partitions && !stop.stop_requested(); ++p) {
                    total += admin.query_watermarks(dlq->name, p, kKafkaTimeout).high;
                }
                it->second = total;
            }
        }
        group.dead_letters = it->second;
        sample.groups.push_back(std::move(group));
    }
    sample.seconds = monotonic_seconds();
    return sample;
}

std::vector<std::string> merge_workers(http::StatusReport& report,
                                       const std::vector<std::string>& workers,
                                       std::stop_token stop) {
    std::vector<std::string> problems;
    for (const auto& worker : workers) {
        if (stop.stop_requested()) break;
        std::string url = worker;
        while (!url.empty() && url.back() == '/') url.pop_back();
        if (!url.ends_with("/status.json")) url += "/status.json";
        try {
            const auto live = http::parse_status_report(http::get_text(url, kWorkerTimeout));
            merge_capture_problems(report, live);
            if (http::merge_live(report, live) == 0) {
                problems.push_back(
                    fmt::format("worker {}: serves no group of this config ({} group(s) there)",
                                url, live.groups.size()));
            }
        } catch (const Error& e) {
            problems.push_back(fmt::format("worker {}", config::redact(e.what())));
        }
    }
    return problems;
}

SlotStatus capture_slot_status(const config::Config& config) {
    SlotStatus out;
    out.slot = config.capture->slot;
    out.publication = config.capture->publication;
    try {
        out.reader = pg::slot_reader(config.postgres.url, out.slot);
    } catch (const Error& e) {
        out.error = config::redact(e.what());
    }
    return out;
}

namespace {

std::string mib(std::int64_t bytes) {
    return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

/// The slot's problem: inactive, missing or unreadable; empty when a reader streams it.
std::string slot_problem(const SlotStatus& status) {
    if (!status.error.empty()) return status.error;
    if (!status.reader) return "the slot does not exist: kt capture init creates it";
    if (!status.reader->active) {
        return fmt::format("the slot is inactive: nothing reads it and it holds {} of WAL: start "
                           "kt-capture, or remove it with kt capture drop",
                           mib(status.reader->lag_bytes));
    }
    return {};
}

}  // namespace

std::string slot_reader_line(const SlotStatus& status) {
    if (!slot_problem(status).empty()) return {};
    const pg::SlotReader& r = *status.reader;
    std::string reader = r.application_name.empty() ? "an unnamed reader" : r.application_name;
    std::vector<std::string> details;
    if (!r.client_addr.empty()) details.push_back("from " + r.client_addr);
    if (r.active_pid) details.push_back(fmt::format("WAL sender pid {}", *r.active_pid));
    if (!details.empty()) reader += fmt::format(" ({})", fmt::join(details, ", "));
    return fmt::format("capture {}: slot streamed by {}; {} behind the server, confirmed up to {}",
                       status.slot, reader, mib(r.lag_bytes),
                       r.confirmed_flush.empty() ? "-" : r.confirmed_flush);
}

http::GroupStatus slot_group(const SlotStatus& status) {
    http::GroupStatus g;
    g.worker = "capture";
    g.name = status.slot;
    g.group = status.slot;
    g.topic = status.publication;
    g.problem = slot_problem(status);
    return g;
}

void merge_capture_problems(http::StatusReport& report, const http::StatusReport& live) {
    for (auto& group : report.groups) {
        if (group.worker != "capture") continue;
        for (const auto& l : live.groups) {
            if (l.worker != "capture" || l.group != group.group) continue;
            std::size_t from = 0;
            while (from < l.problem.size()) {
                std::size_t to = l.problem.find("; ", from);
                if (to == std::string::npos) to = l.problem.size();
                const std::string part = l.problem.substr(from, to - from);
                from = to + 2;
                // What only one replica's state is (standby, between sessions) is not the
                // slot's; a truncated table is, whichever replica saw it.
                if (part.find("needs `kt reindex") == std::string::npos) continue;
                if (group.problem.find(part) != std::string::npos) continue;
                group.problem += (group.problem.empty() ? "" : "; ") + part;
            }
        }
    }
}

}  // namespace kt::workers
