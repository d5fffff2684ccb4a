#include "lib/metrics/labels.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "lib/error.hpp"

namespace kt::metrics {
namespace {

bool is_letter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool valid_metric_name(std::string_view name) {
    if (name.empty()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        if (is_letter(c) || c == '_' || c == ':') continue;
        if (i > 0 && is_digit(c)) continue;
        return false;
    }
    return true;
}

bool valid_label_name(std::string_view name) {
    if (name.empty()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        if (is_letter(c) || c == '_') continue;
        if (i > 0 && is_digit(c)) continue;
        return false;
    }
    return true;
}

}  // namespace

void validate_metric_name(std::string_view name) {
    if (!valid_metric_name(name)) {
        throw Error(
            fmt::format("invalid metric name '{}': must match [a-zA-Z_:][a-zA-Z0-9_:]*", name));
    }
}

Labels canonical_labels(std::string_view metric, Labels labels,
                        const std::vector<std::string_view>& reserved) {
    for (const auto& [name, value] : labels) {
        if (!valid_label_name(name)) {
            throw Error(fmt::format(
                "invalid label name '{}' on metric '{}': must match [a-zA-Z_][a-zA-Z0-9_]*", name,
                metric));
        }
        if (name.starts_with("__")) {
            throw Error(fmt::format(
                "invalid label name '{}' on metric '{}': names starting with __ are reserved", name,
                metric));
        }
        if (std::find(reserved.begin(), reserved.end(), name) != reserved.end()) {
            throw Error(fmt::format(
                "invalid label name '{}' on metric '{}': reserved for this type", name, metric));
        }
    }
    std::sort(labels.begin(), labels.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    const auto dup =
        std::adjacent_find(labels.begin(), labels.end(),
                           [](const auto& a, const auto& b) { return a.first == b.first; });
    if (dup != labels.end()) {
        throw Error(fmt::format("duplicate label name '{}' on metric '{}'", dup->first, metric));
    }
    return labels;
}

}  // namespace kt::metrics
