#include "lib/config/duration.hpp"

#include <cctype>
#include <cstdint>
#include <limits>

namespace kt::config {

std::optional<Duration> parse_duration(std::string_view text) {
    if (text.empty()) return std::nullopt;
    std::int64_t total_ms = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        std::int64_t n = 0;
        const std::size_t digits_start = i;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
            if (n > std::numeric_limits<std::int64_t>::max() / 10 - 9) return std::nullopt;
            n = n * 10 + (text[i] - '0');
            ++i;
        }
        if (i == digits_start) return std::nullopt;
        std::int64_t unit_ms = 0;
        if (text.substr(i, 2) == "ms") {
            unit_ms = 1;
            i += 2;
        } else if (i < text.size() && text[i] == 's') {
            unit_ms = 1000;
            ++i;
        } else if (i < text.size() && text[i] == 'm') {
            unit_ms = 60'000;
            ++i;
        } else if (i < text.size() && text[i] == 'h') {
            unit_ms = 3'600'000;
            ++i;
        } else {
            return std::nullopt;
        }
        if (n > (std::numeric_limits<std::int64_t>::max() - total_ms) / unit_ms) return std::nullopt;
        total_ms += n * unit_ms;
    }
    return Duration(total_ms);
}

std::string format_duration(Duration d) {
    const auto ms = d.count();
    if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
    if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
    if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
}

}  // namespace kt::config
