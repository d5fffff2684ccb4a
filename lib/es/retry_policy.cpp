#include "lib/es/retry_policy.hpp"

#include <algorithm>

namespace kt::es {

AdaptiveBulkSize::AdaptiveBulkSize(AdaptiveBulkSizeOptions options)
    : options_(options), size_(std::max<std::size_t>(options.max, 1)) {
    options_.max = size_;
    options_.min = std::clamp<std::size_t>(options_.min, 1, options_.max);
}

void AdaptiveBulkSize::on_backpressure() noexcept {
    size_ = std::max(options_.min, size_ / 2);
}

void AdaptiveBulkSize::on_success() noexcept {
    const auto step = static_cast<std::size_t>(static_cast<double>(size_) * options_.growth);
    size_ = std::min(options_.max, size_ + std::max<std::size_t>(step, 1));
}

}  // namespace kt::es
