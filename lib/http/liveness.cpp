#include "lib/http/liveness.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace kt::http {
namespace {

using Clock = Liveness::Clock;

Clock::rep ticks(Clock::time_point t) {
    return t.time_since_epoch().count();
}

double seconds(Clock::duration d) {
    return std::chrono::duration<double>(d).count();
}

}  // namespace

Liveness::Liveness(Clock::time_point start, Clock::duration beat_timeout)
    : beat_timeout_(beat_timeout), last_beat_(ticks(start)), last_progress_(ticks(start)) {}

void Liveness::beat(Clock::time_point now) noexcept {
    last_beat_.store(ticks(now), std::memory_order_relaxed);
}

void Liveness::progress(Clock::time_point now) noexcept {
    last_progress_.store(ticks(now), std::memory_order_relaxed);
    last_beat_.store(ticks(now), std::memory_order_relaxed);
}

Check Liveness::check(Clock::time_point now, std::int64_t lag, Clock::duration stall_timeout) {
    const Clock::duration since_beat(ticks(now) - last_beat_.load(std::memory_order_relaxed));
    if (since_beat > beat_timeout_) {
        return {false, fmt::format("loop has not run for {:.1f}s (timeout {:.1f}s)",
                                   seconds(since_beat), seconds(beat_timeout_))};
    }
    if (lag <= 0) {
        lag_since_.store(kNoLag, std::memory_order_relaxed);
        return {true, "loop alive, no lag"};
    }
    // The first check to see lag records its onset; later ones read it back through `onset`.
    Clock::rep onset = kNoLag;
    if (lag_since_.compare_exchange_strong(onset, ticks(now), std::memory_order_relaxed)) {
        onset = ticks(now);
    }
    const Clock::rep start = std::max(onset, last_progress_.load(std::memory_order_relaxed));
    const Clock::duration stalled(ticks(now) - start);
    if (stalled > stall_timeout) {
        return {false, fmt::format("lag {} with no commit for {:.1f}s (timeout {:.1f}s)", lag,
                                   seconds(stalled), seconds(stall_timeout))};
    }
    return {true, fmt::format("loop alive, lag {}", lag)};
}

bool Liveness::healthy(Clock::time_point now, std::int64_t lag, Clock::duration stall_timeout) {
    return check(now, lag, stall_timeout).ok;
}

}  // namespace kt::http
