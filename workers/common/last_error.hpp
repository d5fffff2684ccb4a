#pragma once

#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "lib/http/check.hpp"

namespace kt::workers {

/// The latest failure of a worker loop, for /readyz and /status.json: the loop records each
/// failure and clears the flag once its work succeeds again. Thread-safe.
class LastError {
public:
    /// `who` prefixes the readiness detail (e.g. `index products`).
    explicit LastError(std::string who) : who_(std::move(who)) {}

    /// Records `error` (redacted) as the latest failure, at the current unix time, and marks the
    /// loop failing. Returns the redacted text.
    std::string set(std::string_view error);
    /// The loop's work succeeds again: ready, the latest failure is kept for the status page.
    void clear() noexcept { failing_ = false; }
    /// Not ready while failing; the detail is `<who>: <error>`.
    [[nodiscard]] http::Check readiness() const;
    /// The latest failure and when it happened (unix seconds); empty and nullopt before any.
    [[nodiscard]] std::pair<std::string, std::optional<double>> last() const;

private:
    std::string who_;
    std::atomic<bool> failing_{false};
    mutable std::mutex mutex_;
    std::string error_;
    std::optional<double> at_;
};

}  // namespace kt::workers
