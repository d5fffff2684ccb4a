#pragma once

#include <fmt/format.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace kt::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class Format { kText, kJson };

/// One structured field attached to a log line: `key=value` in text, a member in JSON.
struct Field {
    std::string_view key;
    std::string value;
};

/// Process-wide settings; call once at start, before other threads log.
void configure(Format format, Level min_level);
/// Parses "text" or "json"; throws kt::Error naming the bad value.
Format parse_format(std::string_view text);
/// Parses "debug", "info", "warn" or "error"; throws kt::Error naming the bad value.
Level parse_level(std::string_view text);
/// True when a line at `level` would be written.
bool enabled(Level level);
/// Writes one line to stderr. Thread-safe; never throws.
void write(Level level, std::string_view message, std::initializer_list<Field> fields = {});

template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(Level::kDebug)) write(Level::kDebug, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(Level::kInfo)) write(Level::kInfo, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(Level::kWarn)) write(Level::kWarn, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(Level::kError)) write(Level::kError, fmt::format(f, std::forward<Args>(args)...));
}

/// Renders one line without writing it (the part `write` prints); exposed for tests.
std::string render(Format format, Level level, std::string_view message,
                   std::initializer_list<Field> fields, std::string_view timestamp);

}  // namespace kt::log
