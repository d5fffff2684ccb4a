#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/metrics/counter.hpp"
#include "lib/metrics/gauge.hpp"
#include "lib/metrics/histogram.hpp"
#include "lib/metrics/labels.hpp"
#include "lib/non_copyable.hpp"

namespace kt::metrics {

/// Computes a gauge family at scrape time: one (labels, value) pair per series.
using GaugeCallback = std::function<std::vector<std::pair<Labels, double>>()>;

/// Metric families of one process and their Prometheus text rendering.
///
/// Thread-safety: registration and render() lock a mutex; the returned Counter, Gauge and
/// Histogram references stay valid for the registry's lifetime and are updated without locks.
/// Asking again for the same name and labels returns the same series. Names, label names,
/// a type or help differing from an earlier registration of the name, and bad histogram
/// bounds throw kt::Error naming the metric.
class Registry : private NonCopyable {
public:
    Registry();
    ~Registry();

    /// The counter series `name{labels}`; `name` must end in `_total`.
    Counter& counter(std::string_view name, std::string_view help, Labels labels = {});
    /// The gauge series `name{labels}`.
    Gauge& gauge(std::string_view name, std::string_view help, Labels labels = {});
    /// The histogram series `name{labels}`; every series of a name shares the same `bounds`.
    Histogram& histogram(std::string_view name, std::string_view help, std::vector<double> bounds,
                         Labels labels = {});
    /// A gauge family whose series `fn` returns at each render(). `fn` runs on the scraping
    /// thread without the registry lock held; if it throws, its samples are left out. Calling
    /// it again with the same name adds another callback to the family (one per worker loop).
    void gauge_callback(std::string_view name, std::string_view help, GaugeCallback fn);
    /// As gauge_callback, for a counter the process keeps elsewhere (e.g. its CPU time);
    /// `name` must end in `_total`.
    void counter_callback(std::string_view name, std::string_view help, GaugeCallback fn);

    /// Exposition format 0.0.4: families sorted by name, series sorted by labels.
    [[nodiscard]] std::string render() const;

private:
    struct Family;

    Family& family(std::string_view name, std::string_view help, int kind);
    void add_callback(std::string_view name, std::string_view help, int kind, GaugeCallback fn);

    mutable std::mutex mutex_;
    std::map<std::string, std::unique_ptr<Family>, std::less<>> families_;
};

}  // namespace kt::metrics
