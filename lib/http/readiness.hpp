#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lib/http/check.hpp"
#include "lib/non_copyable.hpp"

namespace kt::http {

/// One dependency a worker needs: `probe` returns when it is reachable and throws otherwise
/// (its message, already free of secrets, becomes the readiness detail).
struct Probe {
    std::string name;
    std::function<void()> probe;
};

/// Runs every probe on its own thread every `interval` (the first round at once) and keeps the
/// latest outcome, so /readyz answers at once from the cache however slow a dependency is.
/// check() is thread-safe. The destructor stops the thread, waiting for a probe in progress,
/// so each probe should bound its own time (a few seconds).
class ReadinessProber : private NonCopyable {
public:
    /// Starts probing `probes`.
    ReadinessProber(std::vector<Probe> probes, std::chrono::milliseconds interval);
    ~ReadinessProber();

    /// Not ok until every probe passed once, and while any failed in the latest round; the
    /// detail names each failing dependency.
    [[nodiscard]] Check check() const;
    /// Waits until the first round finished (for tests and start-up logs).
    void wait_first_round() const;

private:
    void run(const std::stop_token& stop);

    std::vector<Probe> probes_;
    std::chrono::milliseconds interval_;
    mutable std::mutex mutex_;
    mutable std::condition_variable_any changed_;
    bool probed_ = false;
    Check latest_{false, "dependencies not probed yet"};
    std::jthread thread_;  // last: stopped first
};

}  // namespace kt::http
