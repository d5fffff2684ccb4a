#include "lib/log/repeat_filter.hpp"

#include <algorithm>

namespace kt::log {

RepeatFilter::RepeatFilter(std::chrono::steady_clock::duration period, std::size_t max_keys)
    : period_(period), max_keys_(std::max<std::size_t>(1, max_keys)) {}

std::optional<std::size_t> RepeatFilter::admit(std::string_view key,
                                               std::chrono::steady_clock::time_point now) {
    const auto it = seen_.find(key);
    if (it == seen_.end()) {
        if (seen_.size() >= max_keys_) {
            seen_.erase(std::min_element(seen_.begin(), seen_.end(), [](const auto& a,
                                                                         const auto& b) {
                return a.second.written < b.second.written;
            }));
        }
        seen_.emplace(std::string(key), Seen{now, 0});
        return 0;
    }
    Seen& seen = it->second;
    if (now - seen.written < period_) {
        ++seen.left_out;
        return std::nullopt;
    }
    const std::size_t left_out = seen.left_out;
    seen = Seen{now, 0};
    return left_out;
}

}  // namespace kt::log
