#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kt::log {

/// Decides which of many repeated log lines to write: the first of each key, then none of the
/// same key until `period` has passed since the last one written, and then one that says how
/// many were left out. Pure: the caller passes the time. Not thread-safe.
class RepeatFilter {
public:
    /// Keeps at most `max_keys` keys (the oldest written are forgotten first).
    explicit RepeatFilter(std::chrono::steady_clock::duration period, std::size_t max_keys = 256);

    /// nullopt: leave this line out. Otherwise write it, noting the number of lines of the same
    /// key left out since the last one written (0 for none).
    [[nodiscard]] std::optional<std::size_t> admit(std::string_view key,
                                                   std::chrono::steady_clock::time_point now);

private:
    struct Seen {
        std::chrono::steady_clock::time_point written;
        std::size_t left_out = 0;
    };
    std::chrono::steady_clock::duration period_;
    std::size_t max_keys_;
    std::map<std::string, Seen, std::less<>> seen_;
};

}  // namespace kt::log
