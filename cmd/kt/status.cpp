#include "cmd/kt/status.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <memory>
#include <mutex>

#include "lib/app/options_from_config.hpp"
#include "lib/config/duration.hpp"
#include "lib/config/redact.hpp"
#include "lib/error.hpp"
#include "lib/http/status_server.hpp"
#include "lib/kafka/admin.hpp"
#include "lib/kafka/options.hpp"
#include "lib/log/log.hpp"
#include "lib/metrics/registry.hpp"
#include "workers/common/batch_retry.hpp"

namespace kt::cmd {

using workers::build_status_report;
using workers::OffsetsSample;

namespace {

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

std::string render_status_table(const http::StatusReport& report) {
    std::vector<std::vector<std::string>> rows{
        {"GROUP", "TOPIC", "PARTITION", "COMMITTED", "END", "LAG", "MSG/S", "DEAD LETTERS"}};
    const std::vector<bool> right{false, false, true, true, true, true, true, true};
    std::vector<std::string> notes;
    for (const auto& g : report.groups) {
        const std::string dead = g.dead_letters ? std::to_string(*g.dead_letters) : "-";
        if (g.partitions.empty() && g.worker != "capture") {  // a slot has no partitions
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
    const auto targets = workers::status_targets(config);
    if (targets.empty()) {
        fmt::print(stderr, "status: the config has no indexes, delayers or cascades\n");
        return 2;
    }
    // kt-capture's slot, read again with each report: who streams it, or that nobody does.
    std::string slot_line;
    const auto add_slot = [&](http::StatusReport& report) {
        if (!config.capture) return;
        const workers::SlotStatus slot = workers::capture_slot_status(config);
        slot_line = workers::slot_reader_line(slot);
        report.groups.push_back(workers::slot_group(slot));
    };
    kafka::Admin admin(app::kafka_options(config.kafka));
    auto look = [&] {
        try {
            return workers::sample_offsets(admin, targets, stop);
        } catch (const Error& e) {
            throw Error(fmt::format("kafka: {}", config::redact(e.what())), e.retryable());
        }
    };

    if (!args.serve_port) {
        OffsetsSample before;
        try {
            before = look();
            if (!workers::sleep_for(*interval, stop)) return 1;
            const OffsetsSample after = look();
            http::StatusReport report = build_status_report(targets, before, after, unix_seconds());
            add_slot(report);
            const auto problems = workers::merge_workers(report, args.workers);
            fmt::print("{}", render_status_table(report));
            if (!slot_line.empty()) fmt::print("{}\n", slot_line);
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
        add_slot(report);
        const auto problems = workers::merge_workers(report, args.workers, stop);
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
    while (workers::sleep_for(*interval, stop)) {
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
