#pragma once

#include <chrono>
#include <functional>

namespace kt::retry {

/// Returns a uniformly distributed number in [0, 1).
using RandomSource = std::function<double()>;

/// A RandomSource backed by a std::mt19937_64 seeded from std::random_device.
[[nodiscard]] RandomSource default_random_source();

/// Settings of Backoff.
struct BackoffOptions {
    std::chrono::milliseconds base{100};
    std::chrono::milliseconds cap{std::chrono::seconds(30)};
};

/// Exponential backoff with full jitter: the n-th delay (from 0) is uniform in
/// [0, min(cap, base * 2^n)]. Pure: the random source is injected, nothing sleeps.
class Backoff {
public:
    /// `random` defaults to default_random_source().
    explicit Backoff(BackoffOptions options = {}, RandomSource random = {});

    /// The next delay; each call doubles the ceiling until it reaches the cap.
    [[nodiscard]] std::chrono::milliseconds next();
    /// The ceiling the next delay is drawn under.
    [[nodiscard]] std::chrono::milliseconds ceiling() const;
    /// Starts again from `base` (after a success).
    void reset() noexcept { attempt_ = 0; }
    /// How many delays were handed out since the last reset.
    [[nodiscard]] int attempt() const noexcept { return attempt_; }

private:
    BackoffOptions options_;
    RandomSource random_;
    int attempt_ = 0;
};

}  // namespace kt::retry
