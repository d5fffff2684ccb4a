#pragma once

#include <atomic>

#include "lib/non_copyable.hpp"

namespace kt::metrics {

/// A value that goes up and down. Lock-free and safe to update from any thread; obtain it
/// from Registry::gauge and keep the reference (it lives as long as the registry).
class Gauge : private NonCopyable {
public:
    Gauge() = default;

    /// Replaces the value.
    void set(double value) noexcept { value_.store(value, std::memory_order_relaxed); }
    /// Adds `amount` (may be negative).
    void add(double amount) noexcept { value_.fetch_add(amount, std::memory_order_relaxed); }
    /// Adds one.
    void inc() noexcept { add(1.0); }
    /// Subtracts one.
    void dec() noexcept { add(-1.0); }
    /// The current value.
    [[nodiscard]] double value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0.0};
};

}  // namespace kt::metrics
