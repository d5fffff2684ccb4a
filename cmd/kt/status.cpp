#include "cmd/kt/status.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>

#include "lib/app/options_from_config.hpp"
#include "lib/config/duration.hpp"
#include "lib/config/redact.hpp"
#include "lib/error.hpp"
#include "lib/http/client.hpp"
#include "lib/http/status_server.hpp"
#include "lib/kafka/admin.hpp"
#include "lib/kafka/options.hpp"
#include "lib/log/log.hpp"
#include "lib/metrics/registry.hpp"

namespace kt::cmd {

namespace {

constexpr std::chrono::seconds kKafkaTimeout{10};
constexpr std::chrono::seconds kWorkerTimeout{5};

double monotonic_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

double unix_seconds() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// `2026-12-02T06:10:00Z`.
std::string utc_text(double unix) {
    const auto t = static_cast<std::time_t>(unix);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buffer[32];
    const std::size_t n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return std::string(buffer, n);
}

std::string offset_text(std::int64_t v) {
    return v < 0 ? "-" : std::to_string(v);
}

std::string seconds_text(double s) {
    if (s < 60) return fmt::format("{:.1f} s", s);
    if (s < 3600) return fmt::format("{:.1f} min", s / 60);
    return fmt::format("{:.1f} h", s / 3600);
}

/// One look at Kafka for every target. It gives up between two requests once `stop` is
/// requested (what it returns then is incomplete), so a stop waits for one request at most.
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

/// Merges every worker's /status.json into `report`; returns the problems, one per worker.
/// Asks no further worker once `stop` is requested.
std::vector<std::string> merge_workers(http::StatusReport& report,
                                       const std::vector<std::string>& workers,
                                       std::stop_token stop = {}) {
    std::vector<std::string> problems;
    for (const auto& worker : workers) {
        if (stop.stop_requested()) break;
        std::string url = worker;
        while (!url.empty() && url.back() == '/') url.pop_back();
        if (!url.ends_with("/status.json")) url += "/status.json";
        try {
            const auto live = http::parse_status_report(http::get_text(url, kWorkerTimeout));
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

/// Text columns padded to their widest cell; numbers right-aligned.
std::string render_columns(const std::vector<std::vector<std::string>>& rows,
                           const std::vector<bool>& right) {
    std::vector<std::size_t> width(right.size(), 0);
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
    }
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            if (i > 0) line += "  ";
            line += right[i] ? fmt::format("{:>{}}", row[i], width[i])
                             : fmt::format("{:<{}}", row[i], width[i]);
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + '\n';
    }
    return out;
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

std::string render_status_table(const http::StatusReport& report) {
    std::vector<std::vector<std::string>> rows{
        {"GROUP", "TOPIC", "PARTITION", "COMMITTED", "END", "LAG", "MSG/S", "DEAD LETTERS"}};
    const std::vector<bool> right{false, false, true, true, true, true, true, true};
    std::vector<std::string> notes;
    for (const auto& g : report.groups) {
        const std::string dead = g.dead_letters ? std::to_string(*g.dead_letters) : "-";
        if (g.partitions.empty()) {
            rows.push_back({g.group, g.topic, "-", "-", "-", "-", "-", dead});
        }
        bool first = true;
        for (const auto& p : g.partitions) {
            rows.push_back({first ? g.group : "", first ? g.topic : "", std::to_string(p.partition),
                            offset_text(p.committed), offset_text(p.end), offset_text(p.lag),
                            fmt::format("{:.1f}", p.rate), first ? dead : ""});
            first = false;
        }
        const std::string who = fmt::format("{} {}", g.worker, g.name);
        if (!g.problem.empty()) notes.push_back(fmt::format("{}: {}", who, g.problem));
        if (g.held) {
            std::string line = fmt::format("{}: {} envelope(s) held", who, *g.held);
            if (g.next_release_in) {
                line += fmt::format(", next release in {}", seconds_text(*g.next_release_in));
            }
            notes.push_back(std::move(line));
        }
        if (!g.last_error.empty()) {
            notes.push_back(
                fmt::format("{}: last error{}: {}", who,
                            g.last_error_at ? " at " + utc_text(*g.last_error_at) : std::string(),
                            g.last_error));
        }
    }
    std::string out = render_columns(rows, right);
    for (const auto& n : notes) out += n + '\n';
    return out;
}

int run_status(const config::Config& config, const StatusArgs& args, std::stop_token stop) {
    const auto interval = config::parse_duration(args.interval);
    if (!interval || interval->count() <= 0 || *interval > std::chrono::minutes(1)) {
        fmt::print(stderr, "--interval: bad duration '{}' (write e.g. 500ms, 2s; at most 1m)\n",
                   args.interval);
        return 2;
    }
    const auto targets = status_targets(config);
    if (targets.empty()) {
        fmt::print(stderr, "status: the config has no indexes, delayers or cascades\n");
        return 2;
    }
    kafka::Admin admin(app::kafka_options(config.kafka));
    auto look = [&] {
        try {
            return sample_offsets(admin, targets, stop);
        } catch (const Error& e) {
            throw Error(fmt::format("kafka: {}", config::redact(e.what())), e.retryable());
        }
    };

    if (!args.serve_port) {
        OffsetsSample before;
        try {
            before = look();
            std::mutex m;
            std::condition_variable_any cv;
            std::unique_lock lock(m);
            cv.wait_for(lock, stop, *interval, [] { return false; });
            if (stop.stop_requested()) return 1;
            const OffsetsSample after = look();
            http::StatusReport report = build_status_report(targets, before, after, unix_seconds());
            const auto problems = merge_workers(report, args.workers);
            fmt::print("{}", render_status_table(report));
            for (const auto& p : problems) fmt::print(stderr, "{}\n", p);
            return problems.empty() ? 0 : 1;
        } catch (const Error& e) {
            fmt::print(stderr, "{}\n", e.what());
            return 1;
        }
    }

    // Serving: the report is refreshed every interval; requests read the latest. A stop ends
    // the wait at once and abandons a refresh between two requests to Kafka or to a worker.
    std::mutex mutex;
    std::string latest;
    auto refresh = [&](OffsetsSample& previous) {
        OffsetsSample now = look();
        if (stop.stop_requested()) return;
        http::StatusReport report = build_status_report(targets, previous, now, unix_seconds());
        const auto problems = merge_workers(report, args.workers, stop);
        if (stop.stop_requested()) return;
        for (const auto& p : problems) log::warn("{}", p);
        previous = std::move(now);
        const std::string json = http::to_json(report);
        std::lock_guard lock(mutex);
        latest = json;
    };
    OffsetsSample previous;
    try {
        refresh(previous);
    } catch (const Error& e) {
        fmt::print(stderr, "{}\n", e.what());
        return 1;
    }
    if (stop.stop_requested()) return 0;
    metrics::Registry registry;
    std::unique_ptr<http::StatusServer> server;
    try {
        server = std::make_unique<http::StatusServer>(
            http::StatusServerOptions{"0.0.0.0", *args.serve_port}, registry, http::CheckFn{},
            http::CheckFn{}, [&] {
                std::lock_guard lock(mutex);
                return latest;
            });
    } catch (const Error& e) {
        fmt::print(stderr, "{}\n", e.what());
        return 1;
    }
    log::info("kt status: status page on port {} (refreshed every {} ms)", server->port(),
              interval->count());
    std::mutex m;
    std::condition_variable_any cv;
    while (!stop.stop_requested()) {
        {
            std::unique_lock lock(m);
            cv.wait_for(lock, stop, *interval, [] { return false; });
        }
        if (stop.stop_requested()) break;
        try {
            refresh(previous);
        } catch (const Error& e) {
            log::warn("{}", e.what());  // kept serving the last report; tried again next time
        }
    }
    server->stop();
    return 0;
}

}  // namespace kt::cmd
