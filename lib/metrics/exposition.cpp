#include "lib/metrics/exposition.hpp"

#include <fmt/format.h>

#include <cmath>

namespace kt::metrics {

namespace {

/// Escapes backslash and newline, and the double quote too when `quote` is set.
std::string escape(std::string_view text, bool quote) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"' && quote) {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace

std::string escape_help(std::string_view help) { return escape(help, false); }

std::string escape_label_value(std::string_view value) { return escape(value, true); }

std::string format_value(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    return fmt::format("{}", value);
}

std::string format_labels(const Labels& labels, std::string_view extra) {
    if (labels.empty() && extra.empty()) return {};
    std::string out = "{";
    bool first = true;
    for (const auto& [name, value] : labels) {
        if (!first) out += ',';
        first = false;
        out += name;
        out += "=\"";
        out += escape_label_value(value);
        out += '"';
    }
    if (!extra.empty()) {
        if (!first) out += ',';
        out += extra;
    }
    out += '}';
    return out;
}

}  // namespace kt::metrics
