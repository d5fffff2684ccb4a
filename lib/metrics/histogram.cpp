#include "lib/metrics/histogram.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "lib/error.hpp"

namespace kt::metrics {

std::vector<double> default_buckets() {
    return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};
}

std::vector<double> exponential_buckets(double start, double factor, std::size_t count) {
    if (!(start > 0.0) || !(factor > 1.0) || count == 0) {
        throw Error(fmt::format(
            "exponential_buckets: need start > 0, factor > 1 and count >= 1 (got {}, {}, {})",
            start, factor, count));
    }
    std::vector<double> bounds;
    bounds.reserve(count);
    double bound = start;
    for (std::size_t i = 0; i < count; ++i) {
        bounds.push_back(bound);
        bound *= factor;
    }
    return bounds;
}

void validate_buckets(std::string_view metric, const std::vector<double>& bounds) {
    for (std::size_t i = 0; i < bounds.size(); ++i) {
        if (!std::isfinite(bounds[i])) {
            throw Error(fmt::format(
                "histogram '{}': bucket bounds must be finite (+Inf is implicit)", metric));
        }
        if (i > 0 && !(bounds[i - 1] < bounds[i])) {
            throw Error(fmt::format(
                "histogram '{}': bucket bounds must be strictly increasing ({} then {})", metric,
                bounds[i - 1], bounds[i]));
        }
    }
}

Histogram::Histogram(std::string_view metric, std::vector<double> bounds)
    : bounds_(std::move(bounds)) {
    validate_buckets(metric, bounds_);
    buckets_ = std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1);
    for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double value) noexcept {
    std::size_t index = bounds_.size();
    if (!std::isnan(value)) {
        index = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) -
                                         bounds_.begin());
    }
    buckets_[index].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
}

HistogramSnapshot Histogram::snapshot() const {
    HistogramSnapshot snap;
    snap.cumulative.reserve(bounds_.size() + 1);
    std::uint64_t running = 0;
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
        running += buckets_[i].load(std::memory_order_relaxed);
        snap.cumulative.push_back(running);
    }
    snap.count = running;
    snap.sum = sum_.load(std::memory_order_relaxed);
    return snap;
}

}  // namespace kt::metrics
