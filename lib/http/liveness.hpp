#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>

#include "lib/http/check.hpp"
#include "lib/non_copyable.hpp"

namespace kt::http {

/// The "stall" rule behind /healthz. Pure (time is passed in, no I/O); the loop thread calls
/// beat()/progress() while a status server thread calls check(); all members are atomics.
///
/// Unhealthy when the loop has not beaten for longer than `beat_timeout`, or when there is
/// lag but nothing was committed for longer than `stall_timeout`. The stall clock starts at
/// the later of the last commit and the first check() that saw lag after seeing none, so a
/// burst of messages after a long idle period does not count as a stall.
class Liveness : private NonCopyable {
public:
    using Clock = std::chrono::steady_clock;

    /// Counts `start` as both the last beat and the last progress.
    Liveness(Clock::time_point start, Clock::duration beat_timeout);

    /// The loop ran one iteration.
    void beat(Clock::time_point now) noexcept;
    /// The loop committed offsets (also counts as a beat).
    void progress(Clock::time_point now) noexcept;
    /// The verdict with a reason; `lag` is the total consumer lag in messages.
    [[nodiscard]] Check check(Clock::time_point now, std::int64_t lag,
                              Clock::duration stall_timeout);
    /// check(now, lag, stall_timeout).ok
    [[nodiscard]] bool healthy(Clock::time_point now, std::int64_t lag,
                               Clock::duration stall_timeout);

private:
    static constexpr Clock::rep kNoLag = std::numeric_limits<Clock::rep>::min();

    Clock::duration beat_timeout_;
    std::atomic<Clock::rep> last_beat_;
    std::atomic<Clock::rep> last_progress_;
    std::atomic<Clock::rep> lag_since_{kNoLag};
};

}  // namespace kt::http
