#pragma once

#include <cstddef>

namespace kt::es {

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
