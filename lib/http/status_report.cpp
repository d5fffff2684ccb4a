#include "lib/http/status_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "lib/error.hpp"

namespace kt::http {

namespace {

using nlohmann::json;

template <typename T>
json optional_json(const std::optional<T>& value) {
    return value ? json(*value) : json(nullptr);
}

/// `object[key]` as T; throws naming `where.key` when absent or of another type.
template <typename T>
T field(const json& object, const char* key, const std::string& where) {
    const auto it = object.find(key);
    if (it == object.end()) throw Error(fmt::format("status report: {}.{} is missing", where, key));
    try {
        return it->get<T>();
    } catch (const json::exception&) {
        throw Error(fmt::format("status report: {}.{} has the wrong type ({})", where, key,
                                it->type_name()));
    }
}

/// Like field(), but null or absent is nullopt.
template <typename T>
std::optional<T> optional_field(const json& object, const char* key, const std::string& where) {
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) return std::nullopt;
    return field<T>(object, key, where);
}

/// Like field(), but absent is `fallback`.
template <typename T>
T field_or(const json& object, const char* key, const std::string& where, T fallback) {
    if (!object.contains(key)) return fallback;
    return field<T>(object, key, where);
}

}  // namespace

std::int64_t GroupStatus::total_lag() const noexcept {
    std::int64_t total = 0;
    for (const auto& p : partitions) {
        if (p.lag > 0) total += p.lag;
    }
    return total;
}

double GroupStatus::total_rate() const noexcept {
    double total = 0;
    for (const auto& p : partitions) total += p.rate;
    return total;
}

std::string to_json(const StatusReport& report) {
    json groups = json::array();
    for (const auto& g : report.groups) {
        json partitions = json::array();
        for (const auto& p : g.partitions) {
            partitions.push_back({{"partition", p.partition},
                                  {"committed", p.committed},
                                  {"end", p.end},
                                  {"lag", p.lag},
                                  {"rate", p.rate}});
        }
        groups.push_back({{"worker", g.worker},
                          {"name", g.name},
                          {"group", g.group},
                          {"topic", g.topic},
                          {"dead_letter_topic", g.dead_letter_topic},
                          {"dead_letters", optional_json(g.dead_letters)},
                          {"last_error", g.last_error},
                          {"last_error_at", optional_json(g.last_error_at)},
                          {"held", optional_json(g.held)},
                          {"next_release_in", optional_json(g.next_release_in)},
                          {"problem", g.problem},
                          {"lag", g.total_lag()},
                          {"rate", g.total_rate()},
                          {"partitions", std::move(partitions)}});
    }
    const json out{{"source", report.source},
                   {"generated_at", report.generated_at},
                   {"groups", std::move(groups)}};
    // Error texts may hold any bytes: never let one make the whole document unservable.
    return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

StatusReport parse_status_report(std::string_view text) {
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::parse_error& e) {
        throw Error(fmt::format("status report: not JSON: {}", e.what()));
    }
    if (!doc.is_object()) throw Error("status report: expected a JSON object");
    StatusReport report;
    report.source = field_or<std::string>(doc, "source", "report", {});
    report.generated_at = field_or<double>(doc, "generated_at", "report", 0);
    const json groups = field<json>(doc, "groups", "report");
    if (!groups.is_array()) throw Error("status report: report.groups is not an array");
    for (std::size_t i = 0; i < groups.size(); ++i) {
        const json& g = groups[i];
        const std::string where = fmt::format("groups[{}]", i);
        if (!g.is_object()) throw Error(fmt::format("status report: {} is not an object", where));
        GroupStatus group;
        group.worker = field<std::string>(g, "worker", where);
        group.name = field<std::string>(g, "name", where);
        group.group = field<std::string>(g, "group", where);
        group.topic = field_or<std::string>(g, "topic", where, {});
        group.dead_letter_topic = field_or<std::string>(g, "dead_letter_topic", where, {});
        group.dead_letters = optional_field<std::int64_t>(g, "dead_letters", where);
        group.last_error = field_or<std::string>(g, "last_error", where, {});
        group.last_error_at = optional_field<double>(g, "last_error_at", where);
        group.held = optional_field<std::int64_t>(g, "held", where);
        group.next_release_in = optional_field<double>(g, "next_release_in", where);
        group.problem = field_or<std::string>(g, "problem", where, {});
        const json partitions = field_or<json>(g, "partitions", where, json::array());
        if (!partitions.is_array()) {
            throw Error(fmt::format("status report: {}.partitions is not an array", where));
        }
        for (std::size_t j = 0; j < partitions.size(); ++j) {
            const json& p = partitions[j];
            const std::string at = fmt::format("{}.partitions[{}]", where, j);
            if (!p.is_object()) throw Error(fmt::format("status report: {} is not an object", at));
            PartitionStatus part;
            part.partition = field<std::int32_t>(p, "partition", at);
            part.committed = field_or<std::int64_t>(p, "committed", at, kUnknownOffset);
            part.end = field_or<std::int64_t>(p, "end", at, kUnknownOffset);
            part.lag = field_or<std::int64_t>(p, "lag", at, kUnknownOffset);
            part.rate = field_or<double>(p, "rate", at, 0);
            group.partitions.push_back(part);
        }
        report.groups.push_back(std::move(group));
    }
    return report;
}

std::int64_t consumer_lag(std::int64_t committed, std::int64_t low, std::int64_t end) noexcept {
    if (end < 0) return kUnknownOffset;
    const std::int64_t from = committed >= 0 ? committed : std::max<std::int64_t>(low, 0);
    return std::max<std::int64_t>(0, end - from);
}

double rate_between(std::int64_t before, std::int64_t after, double seconds) noexcept {
    if (before < 0 || after < before || seconds <= 0) return 0;
    return static_cast<double>(after - before) / seconds;
}

std::size_t merge_live(StatusReport& report, const StatusReport& live) {
    std::size_t matched = 0;
    for (auto& group : report.groups) {
        bool found = false;
        for (const auto& l : live.groups) {
            if (l.group != group.group) continue;
            found = true;
            if (!l.last_error.empty() &&
                (group.last_error.empty() ||
                 l.last_error_at.value_or(0) >= group.last_error_at.value_or(0))) {
                group.last_error = l.last_error;
                group.last_error_at = l.last_error_at;
            }
            if (l.next_release_in &&
                (!group.next_release_in || *l.next_release_in < *group.next_release_in)) {
                group.next_release_in = l.next_release_in;
            }
        }
        if (found) ++matched;
    }
    return matched;
}

RateMeter::RateMeter(Clock::time_point start, Clock::duration window) : window_(window) {
    samples_.emplace_back(start, 0);
}

void RateMeter::add(Clock::time_point now, std::int64_t n) {
    total_ += n;
    samples_.emplace_back(now, total_);
    // Keep one sample at or before the window start: the count there is the baseline.
    const auto window_start = now - window_;
    while (samples_.size() > 1 && samples_[1].first <= window_start) samples_.pop_front();
}

double RateMeter::per_second(Clock::time_point now) const {
    const auto window_start = now - window_;
    // The count at the window start: the last sample at or before it.
    std::int64_t base = samples_.front().second;
    bool full_window = samples_.front().first <= window_start;
    for (const auto& [time, count] : samples_) {
        if (time > window_start) break;
        base = count;
        full_window = true;
    }
    const std::int64_t done = total_ - base;
    if (done <= 0) return 0;
    std::chrono::duration<double> span = window_;
    if (!full_window) {
        span = std::max<std::chrono::duration<double>>(now - samples_.front().first,
                                                       std::chrono::seconds(1));
    }
    return static_cast<double>(done) / span.count();
}

}  // namespace kt::http
