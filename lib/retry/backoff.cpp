#include "lib/retry/backoff.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <utility>

namespace kt::retry {

RandomSource default_random_source() {
    auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
    return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

Backoff::Backoff(BackoffOptions options, RandomSource random)
    : options_(options), random_(random ? std::move(random) : default_random_source()) {}

std::chrono::milliseconds Backoff::ceiling() const {
    const auto base = std::max<std::int64_t>(options_.base.count(), 0);
    const auto cap = std::max<std::int64_t>(options_.cap.count(), 0);
    if (base == 0) return std::chrono::milliseconds(0);
    std::int64_t value = base;
    for (int i = 0; i < attempt_ && value < cap; ++i) value *= 2;
    return std::chrono::milliseconds(std::min(value, cap));
}

std::chrono::milliseconds Backoff::next() {
    const auto limit = static_cast<double>(ceiling().count());
    double r = random_();
    r = std::clamp(r, 0.0, 1.0);
    ++attempt_;
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::floor(r * limit)));
}

}  // namespace kt::retry
