#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <utility>

#include "lib/http/check.hpp"
#include "lib/http/liveness.hpp"
#include "lib/metrics/counter.hpp"
#include "workers/common/last_error.hpp"
#include "workers/common/ports.hpp"

namespace kt::workers {

/// Waits `delay` unless `stop` fires first; false when stopped.
bool sleep_for(std::chrono::milliseconds delay, const std::stop_token& stop);

/// Retries one batch until it is handled: the shared back half of the worker loops. Nothing of
/// a failed attempt was committed, so the whole batch is tried again after an exponential
/// backoff with jitter (100 ms doubling to 30 s), forever, until it succeeds or stop is
/// requested. Failures are counted, logged (secrets redacted) and make readiness() false until
/// the next success. run() is called from the loop's thread; readiness() from any.
class BatchRetry {
public:
    /// `who` prefixes log lines and readiness details (e.g. `index products`); `sleep` waits
    /// out the backoff.
    BatchRetry(std::string who, metrics::Counter& failures, http::Liveness& liveness,
               Sleeper sleep = sleep_for);

    /// Calls `attempt` until it returns without throwing kt::Error; true when it returned true
    /// (the batch is done), false when it returned false or stop was requested.
    bool run(const std::stop_token& stop, const std::function<bool()>& attempt);
    /// Not ready while the latest attempt failed; the detail is its error. Thread-safe.
    [[nodiscard]] http::Check readiness() const;
    /// The latest failure (redacted) and when it happened (unix seconds), kept after the batch
    /// succeeded; empty and nullopt before any. Thread-safe.
    [[nodiscard]] std::pair<std::string, std::optional<double>> last_error() const;
    /// The latest failure, for the status row.
    [[nodiscard]] const LastError& error() const noexcept { return error_; }

private:
    std::string who_;
    metrics::Counter& failures_;
    http::Liveness& liveness_;
    Sleeper sleep_;
    LastError error_;
};

}  // namespace kt::workers
