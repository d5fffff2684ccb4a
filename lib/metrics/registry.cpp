#include "lib/metrics/registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <utility>

#include "lib/error.hpp"
#include "lib/log/log.hpp"
#include "lib/metrics/exposition.hpp"

namespace kt::metrics {
namespace {

enum Kind : int { kCounter, kGauge, kHistogram, kGaugeCallback, kCounterCallback };

constexpr bool is_callback(int kind) {
    return kind == kGaugeCallback || kind == kCounterCallback;
}

constexpr std::string_view kind_name(int kind) {
    switch (kind) {
        case kCounter:
        case kCounterCallback:
            return "counter";
        case kHistogram:
            return "histogram";
        default:
            return "gauge";
    }
}

constexpr std::string_view kind_label(int kind) {
    switch (kind) {
        case kCounter:
            return "counter";
        case kGauge:
            return "gauge";
        case kHistogram:
            return "histogram";
        case kCounterCallback:
            return "counter callback";
        default:
            return "gauge callback";
    }
}

void append_header(std::string& out, std::string_view name, std::string_view help, int kind) {
    out +=
        fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape_help(help), name, kind_name(kind));
}

void append_sample(std::string& out, std::string_view name, const Labels& labels,
                   std::string_view value, std::string_view extra = {}) {
    out += name;
    out += format_labels(labels, extra);
    out += ' ';
    out += value;
    out += '\n';
}

std::string counter_value(const Counter& counter) {
    const double fraction = counter.fraction();
    if (fraction == 0.0) return fmt::format("{}", counter.whole());
    return format_value(counter.value());
}

}  // namespace

struct Registry::Family {
    int kind = kCounter;
    std::string help;
    std::vector<double> bounds;
    std::map<Labels, std::unique_ptr<Counter>> counters;
    std::map<Labels, std::unique_ptr<Gauge>> gauges;
    std::map<Labels, std::unique_ptr<Histogram>> histograms;
    std::vector<GaugeCallback> callbacks;
};

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Family& Registry::family(std::string_view name, std::string_view help, int kind) {
    const auto it = families_.find(name);
    if (it == families_.end()) {
        auto created = std::make_unique<Family>();
        created->kind = kind;
        created->help = std::string(help);
        return *families_.emplace(std::string(name), std::move(created)).first->second;
    }
    Family& existing = *it->second;
    if (existing.kind != kind) {
        throw Error(fmt::format("metric '{}' is already registered as a {}, not a {}", name,
                                kind_label(existing.kind), kind_label(kind)));
    }
    if (existing.help != help) {
        throw Error(fmt::format("metric '{}' is already registered with another help text", name));
    }
    return existing;
}

Counter& Registry::counter(std::string_view name, std::string_view help, Labels labels) {
    validate_metric_name(name);
    if (!name.ends_with("_total")) {
        throw Error(fmt::format("invalid counter name '{}': counter names end in _total", name));
    }
    auto key = canonical_labels(name, std::move(labels));
    const std::lock_guard lock(mutex_);
    auto& series = family(name, help, kCounter).counters[std::move(key)];
    if (!series) series = std::make_unique<Counter>();
    return *series;
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, Labels labels) {
    validate_metric_name(name);
    auto key = canonical_labels(name, std::move(labels));
    const std::lock_guard lock(mutex_);
    auto& series = family(name, help, kGauge).gauges[std::move(key)];
    if (!series) series = std::make_unique<Gauge>();
    return *series;
}

Histogram& Registry::histogram(std::string_view name, std::string_view help,
                               std::vector<double> bounds, Labels labels) {
    validate_metric_name(name);
    validate_buckets(name, bounds);
    auto key = canonical_labels(name, std::move(labels), {"le"});
    const std::lock_guard lock(mutex_);
    const bool is_new = families_.find(name) == families_.end();
    Family& fam = family(name, help, kHistogram);
    if (is_new) {
        fam.bounds = bounds;
    } else if (fam.bounds != bounds) {
        throw Error(
            fmt::format("histogram '{}' is already registered with other bucket bounds", name));
    }
    auto& series = fam.histograms[std::move(key)];
    if (!series) series = std::make_unique<Histogram>(name, std::move(bounds));
    return *series;
}

void Registry::gauge_callback(std::string_view name, std::string_view help, GaugeCallback fn) {
    add_callback(name, help, kGaugeCallback, std::move(fn));
}

void Registry::counter_callback(std::string_view name, std::string_view help, GaugeCallback fn) {
    if (!name.ends_with("_total")) {
        throw Error(fmt::format("invalid counter name '{}': counter names end in _total", name));
    }
    add_callback(name, help, kCounterCallback, std::move(fn));
}

void Registry::add_callback(std::string_view name, std::string_view help, int kind,
                            GaugeCallback fn) {
    validate_metric_name(name);
    if (!fn) throw Error(fmt::format("{} '{}' is empty", kind_label(kind), name));
    const std::lock_guard lock(mutex_);
    // Several loops of one process (two indexes, say) each add their own series.
    Family& fam = family(name, help, kind);
    fam.callbacks.push_back(std::move(fn));
}

std::string Registry::render() const {
    // Static families are rendered under the lock; callbacks are copied out and run after it
    // is released, so a slow callback (e.g. asking the broker for lag) never blocks
    // registration.
    struct Part {
        std::string name;
        std::string help;
        int kind;
        std::string text;
        std::vector<GaugeCallback> callbacks;
    };
    std::vector<Part> parts;
    {
        const std::lock_guard lock(mutex_);
        parts.reserve(families_.size());
        for (const auto& [name, fam] : families_) {
            Part part{name, fam->help, fam->kind, {}, fam->callbacks};
            if (!is_callback(fam->kind)) {
                std::string& out = part.text;
                append_header(out, name, fam->help, fam->kind);
                for (const auto& [labels, counter] : fam->counters) {
                    append_sample(out, name, labels, counter_value(*counter));
                }
                for (const auto& [labels, gauge] : fam->gauges) {
                    append_sample(out, name, labels, format_value(gauge->value()));
                }
                for (const auto& [labels, histogram] : fam->histograms) {
                    const HistogramSnapshot snap = histogram->snapshot();
                    const std::string bucket = name + "_bucket";
                    for (std::size_t i = 0; i < snap.cumulative.size(); ++i) {
                        const std::string le =
                            i < fam->bounds.size() ? format_value(fam->bounds[i]) : "+Inf";
                        append_sample(out, bucket, labels, fmt::format("{}", snap.cumulative[i]),
                                      fmt::format("le=\"{}\"", le));
                    }
                    append_sample(out, name + "_sum", labels, format_value(snap.sum));
                    append_sample(out, name + "_count", labels, fmt::format("{}", snap.count));
                }
            }
            parts.push_back(std::move(part));
        }
    }

    std::string out;
    for (const Part& part : parts) {
        if (part.callbacks.empty()) {
            out += part.text;
            continue;
        }
        append_header(out, part.name, part.help, part.kind);
        std::vector<std::pair<Labels, double>> sorted;
        for (const auto& callback : part.callbacks) {
            try {
                for (auto& [labels, value] : callback()) {
                    sorted.emplace_back(canonical_labels(part.name, std::move(labels)), value);
                }
            } catch (const std::exception& e) {
                log::warn("metrics: {} '{}' failed, rendering none of its samples: {}",
                          kind_label(part.kind), part.name, e.what());
            }
        }
        std::sort(sorted.begin(), sorted.end(),
                  [](const auto& a, const auto& b) { return a.first < b.first; });
        for (const auto& [labels, value] : sorted) {
            append_sample(out, part.name, labels, format_value(value));
        }
    }
    return out;
}

}  // namespace kt::metrics
