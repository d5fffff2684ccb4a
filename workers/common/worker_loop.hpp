#pragma once

#include <chrono>
#include <stop_token>

#include "lib/http/check.hpp"
#include "lib/http/status_report.hpp"

namespace kt::workers {

/// What a worker executable runs, one per configured entry, each on its own thread.
class WorkerLoop {
public:
    virtual ~WorkerLoop() = default;
    /// Runs until `stop` is requested, then finishes or abandons the work in hand (committing
    /// only what is done) and leaves the consumer group. Throws only on a fatal error.
    virtual void run(std::stop_token stop) = 0;
    /// /healthz: the loop is alive and, when there is lag, commits within `stall_timeout`.
    /// Thread-safe.
    [[nodiscard]] virtual http::Check health(std::chrono::milliseconds stall_timeout) = 0;
    /// /readyz part of the loop itself (its last batch did not fail). Thread-safe.
    [[nodiscard]] virtual http::Check readiness() const = 0;
    /// The loop's part of /status.json: group, partitions (committed, end, lag, rate), dead
    /// letters since start, last error. Thread-safe.
    [[nodiscard]] virtual http::GroupStatus status() const = 0;
};

}  // namespace kt::workers
