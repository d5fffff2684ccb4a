#include "lib/log/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

#include <nlohmann/json.hpp>

#include "lib/error.hpp"

namespace kt::log {

namespace {

std::atomic<Level> g_level{Level::kInfo};
std::atomic<Format> g_format{Format::kText};
std::mutex g_mutex;

const char* level_name(Level level) {
    switch (level) {
        case Level::kDebug: return "debug";
        case Level::kInfo: return "info";
        case Level::kWarn: return "warn";
        case Level::kError: return "error";
    }
    return "info";
}

std::string now_iso8601() {
    using namespace std::chrono;
    const auto now = system_clock::now();
    const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    const std::time_t t = system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return fmt::format("{}.{:03}Z", buf, ms);
}

bool needs_quotes(std::string_view v) {
    if (v.empty()) return true;
    for (char c : v) {
        if (c == ' ' || c == '"' || c == '=' || c == '\n' || c == '\t') return true;
    }
    return false;
}

}  // namespace

void configure(Format format, Level min_level) {
    g_format.store(format);
    g_level.store(min_level);
}

Format parse_format(std::string_view text) {
    if (text == "text") return Format::kText;
    if (text == "json") return Format::kJson;
    throw Error(fmt::format("unknown log format '{}' (expected text or json)", text));
}

Level parse_level(std::string_view text) {
    if (text == "debug") return Level::kDebug;
    if (text == "info") return Level::kInfo;
    if (text == "warn") return Level::kWarn;
    if (text == "error") return Level::kError;
    throw Error(fmt::format("unknown log level '{}' (expected debug, info, warn or error)", text));
}

bool enabled(Level level) { return level >= g_level.load(std::memory_order_relaxed); }

std::string render(Format format, Level level, std::string_view message,
                   std::initializer_list<Field> fields, std::string_view timestamp) {
    if (format == Format::kJson) {
        nlohmann::json j;
        j["ts"] = timestamp;
        j["level"] = level_name(level);
        j["msg"] = message;
        for (const auto& f : fields) j[std::string(f.key)] = f.value;
        return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    std::string line = fmt::format("{} {:<5} {}", timestamp, level_name(level), message);
    for (const auto& f : fields) {
        if (needs_quotes(f.value)) {
            line += fmt::format(" {}={}", f.key, nlohmann::json(f.value).dump(
                                                     -1, ' ', false,
                                                     nlohmann::json::error_handler_t::replace));
        } else {
            line += fmt::format(" {}={}", f.key, f.value);
        }
    }
    return line;
}

void write(Level level, std::string_view message, std::initializer_list<Field> fields) {
    if (!enabled(level)) return;
    try {
        std::string line = render(g_format.load(), level, message, fields, now_iso8601());
        line += '\n';
        std::lock_guard lock(g_mutex);
        std::fwrite(line.data(), 1, line.size(), stderr);
        std::fflush(stderr);
    } catch (...) {
        // Logging must never take the process down.
    }
}

}  // namespace kt::log
