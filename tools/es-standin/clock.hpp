#pragma once

#include <chrono>
#include <functional>

namespace kt::tools::standin {

/// Monotonic time source; injected so tests can move time (tombstones, refresh, keep-alives).
using Clock = std::function<std::chrono::steady_clock::time_point()>;

/// The real monotonic clock.
inline Clock steady_clock() {
    return [] { return std::chrono::steady_clock::now(); };
}

}  // namespace kt::tools::standin
