#include "workers/reindex/plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "lib/error.hpp"

namespace kt::workers {

namespace {

using nlohmann::json;

/// Removes `key` from the settings (flat `key`, `index.key` or nested `index: {key}`); returns
/// its value, null when absent.
json take_setting(json& settings, const std::string& key) {
    json value;
    if (const auto it = settings.find(key); it != settings.end()) {
        value = *it;
        settings.erase(it);
    }
    if (const auto it = settings.find("index." + key); it != settings.end()) {
        value = *it;
        settings.erase(it);
    }
    if (const auto index = settings.find("index"); index != settings.end() && index->is_object()) {
        if (const auto it = index->find(key); it != index->end()) {
            value = *it;
            index->erase(it);
        }
    }
    return value;
}

std::string as_setting_text(const json& value, const char* fallback) {
    if (value.is_null()) return fallback;
    if (value.is_string()) return value.get<std::string>();
    return value.dump();
}

std::string duration_text(double seconds) {
    const auto s = static_cast<long long>(std::llround(std::max(seconds, 0.0)));
    if (s < 60) return fmt::format("{}s", s);
    if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
    return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

}  // namespace

std::int64_t imported_snapshot_count(std::int64_t imported, std::int64_t after) {
    return std::max(imported, after);
}

LoadSettings load_settings(std::string_view mappings_json) {
    json body = mappings_json.empty() ? json::object() : json::parse(mappings_json, nullptr, false);
    if (!body.is_object()) throw Error("the mappings file is not a JSON object");
    json& settings = body["settings"];
    if (settings.is_null()) settings = json::object();
    if (!settings.is_object()) throw Error("the mappings file's settings is not a JSON object");
    const json refresh = take_setting(settings, "refresh_interval");
    const json replicas = take_setting(settings, "number_of_replicas");
    json& index = settings["index"];
    if (!index.is_object()) index = json::object();
    index["refresh_interval"] = "-1";
    index["number_of_replicas"] = "0";
    const json restore = {{"index",
                           {{"refresh_interval", as_setting_text(refresh, "1s")},
                            {"number_of_replicas", as_setting_text(replicas, "1")}}}};
    return LoadSettings{body.dump(), restore.dump()};
}

std::vector<es::AliasAction> swap_actions(const std::string& alias,
                                          const std::vector<std::string>& old_indices,
                                          const std::string& new_index) {
    std::vector<es::AliasAction> actions;
    for (const auto& old : old_indices) {
        if (old == new_index) continue;
        actions.push_back({es::AliasAction::Kind::kRemove, old, alias, std::nullopt});
    }
    actions.push_back({es::AliasAction::Kind::kAdd, new_index, alias, true});
    return actions;
}

std::vector<std::string> parse_id_list(std::string_view text) {
    std::vector<std::string> ids;
    std::unordered_set<std::string> seen;
    std::string current;
    const auto flush = [&] {
        if (!current.empty() && seen.insert(current).second) ids.push_back(current);
        current.clear();
    };
    for (const char c : text) {
        if (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            flush();
        } else {
            current.push_back(c);
        }
    }
    flush();
    return ids;
}

std::string progress_bar(const ProgressSnapshot& p, int width) {
    const double rate = p.seconds > 0 ? static_cast<double>(p.rows) / p.seconds : 0;
    if (p.estimate <= 0) {
        return fmt::format("{} rows  {:.0f} rows/s  {}", p.rows, rate, duration_text(p.seconds));
    }
    const double fraction =
        std::min(1.0, static_cast<double>(p.rows) / static_cast<double>(p.estimate));
    const std::string tail = fmt::format(
        " {:3.0f}% {}/{} rows  {:.0f} rows/s  ETA {}", fraction * 100, p.rows, p.estimate, rate,
        rate > 0
            ? duration_text((static_cast<double>(p.estimate) - static_cast<double>(p.rows)) / rate)
            : "?");
    const int bar = std::max(10, width - static_cast<int>(tail.size()) - 3);
    const auto done = static_cast<int>(fraction * bar);
    return fmt::format("[{}{}]{}", std::string(static_cast<std::size_t>(done), '#'),
                       std::string(static_cast<std::size_t>(bar - done), '.'), tail);
}

std::string progress_line(const std::string& index, const ProgressSnapshot& p) {
    const double rate = p.seconds > 0 ? static_cast<double>(p.rows) / p.seconds : 0;
    if (p.estimate <= 0) {
        return fmt::format("reindex {}: {} rows, {:.0f} rows/s", index, p.rows, rate);
    }
    const double fraction =
        std::min(1.0, static_cast<double>(p.rows) / static_cast<double>(p.estimate));
    const double left =
        rate > 0
            ? std::max(0.0, static_cast<double>(p.estimate) - static_cast<double>(p.rows)) / rate
            : 0;
    return fmt::format("reindex {}: {} of ~{} rows ({:.0f}%), {:.0f} rows/s, ETA {}", index, p.rows,
                       p.estimate, fraction * 100, rate, rate > 0 ? duration_text(left) : "?");
}

}  // namespace kt::workers
