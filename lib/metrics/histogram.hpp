#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "lib/non_copyable.hpp"

namespace kt::metrics {

/// Upper bounds suited to latencies in seconds, 5 ms to 10 s.
[[nodiscard]] std::vector<double> default_buckets();
/// `count` bounds: start, start*factor, start*factor^2 … Throws kt::Error on bad arguments.
[[nodiscard]] std::vector<double> exponential_buckets(double start, double factor,
                                                      std::size_t count);

/// Cumulative view of a Histogram at one moment.
struct HistogramSnapshot {
    std::vector<std::uint64_t> cumulative;  ///< one per bound, then the +Inf bucket
    double sum = 0.0;
    std::uint64_t count = 0;  ///< equals cumulative.back()
};

/// Observations counted in fixed buckets (`le` upper bounds, +Inf implicit). observe() is
/// lock-free and safe from any thread; obtain it from Registry::histogram and keep the reference.
class Histogram : private NonCopyable {
public:
    /// `bounds` must be finite and strictly increasing; throws kt::Error naming `metric`.
    Histogram(std::string_view metric, std::vector<double> bounds);

    /// Counts `value` in the first bucket whose bound is >= value (NaN goes to +Inf).
    void observe(double value) noexcept;
    /// The finite upper bounds.
    [[nodiscard]] const std::vector<double>& bounds() const noexcept { return bounds_; }
    /// Current counts, cumulated as the exposition format wants them.
    [[nodiscard]] HistogramSnapshot snapshot() const;

private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1, not cumulative
    std::atomic<double> sum_{0.0};
};

/// Throws kt::Error naming `metric` unless `bounds` are finite and strictly increasing.
void validate_buckets(std::string_view metric, const std::vector<double>& bounds);

}  // namespace kt::metrics
