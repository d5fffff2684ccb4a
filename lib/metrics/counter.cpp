#include "lib/metrics/counter.hpp"

namespace kt::metrics {

void Counter::add(double amount) noexcept {
    if (!(amount > 0.0)) return;
    fraction_.fetch_add(amount, std::memory_order_relaxed);
}

double Counter::value() const noexcept {
    return static_cast<double>(whole()) + fraction();
}

}  // namespace kt::metrics
