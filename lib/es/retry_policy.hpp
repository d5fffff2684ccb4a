#pragma once

#include <chrono>
#include <cstddef>
#include <functional>

namespace kt::es {

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

/// Settings of AdaptiveBulkSize.
struct AdaptiveBulkSizeOptions {
    std::size_t max = 1000;  ///< the configured bulk size, never exceeded
    std::size_t min = 10;    ///< floor when halving
    double growth = 0.10;    ///< fraction added after each success (at least one action)
};

/// Bulk size under backpressure: 429 halves it down to `min`; every success grows it by
/// `growth` (at least by one) back up to `max`. Pure.
class AdaptiveBulkSize {
public:
    /// Starts at `options.max`.
    explicit AdaptiveBulkSize(AdaptiveBulkSizeOptions options = {});

    /// The number of actions to send in the next request.
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    /// Elasticsearch pushed back (HTTP 429 on the request or an item).
    void on_backpressure() noexcept;
    /// A request went through without backpressure.
    void on_success() noexcept;

private:
    AdaptiveBulkSizeOptions options_;
    std::size_t size_;
};

}  // namespace kt::es
