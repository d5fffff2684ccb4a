#pragma once

#include <chrono>
#include <functional>
#include <stop_token>

namespace kt::retry {

/// Waits `delay` unless `stop` is requested first (it wakes at once then); false when stopped.
bool sleep_for(std::chrono::milliseconds delay, const std::stop_token& stop);

/// A wait as sleep_for does it; the seam through which tests skip the waiting.
using Sleeper = std::function<bool(std::chrono::milliseconds delay, const std::stop_token& stop)>;

}  // namespace kt::retry
