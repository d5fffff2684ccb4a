#pragma once

#include <atomic>
#include <cstdint>

#include "lib/non_copyable.hpp"

namespace kt::metrics {

/// A monotonic counter. Lock-free and safe to update from any thread; obtain it from
/// Registry::counter and keep the reference (it lives as long as the registry).
class Counter : private NonCopyable {
public:
    Counter() = default;

    /// Adds `n` (one atomic add).
    void inc(std::uint64_t n = 1) noexcept { whole_.fetch_add(n, std::memory_order_relaxed); }
    /// Adds a fractional amount; negative and NaN amounts are ignored (a counter never falls).
    void add(double amount) noexcept;
    /// The current total.
    [[nodiscard]] double value() const noexcept;
    /// The part added through inc(), exact even beyond 2^53.
    [[nodiscard]] std::uint64_t whole() const noexcept {
        return whole_.load(std::memory_order_relaxed);
    }
    /// The part added through add().
    [[nodiscard]] double fraction() const noexcept {
        return fraction_.load(std::memory_order_relaxed);
    }

private:
    std::atomic<std::uint64_t> whole_{0};
    std::atomic<double> fraction_{0.0};
};

}  // namespace kt::metrics
