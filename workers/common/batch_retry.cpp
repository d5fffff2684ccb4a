#include "workers/common/batch_retry.hpp"

#include <fmt/format.h>

#include "lib/config/redact.hpp"
#include "lib/error.hpp"
#include "lib/log/log.hpp"
#include "lib/retry/backoff.hpp"
#include "lib/retry/sleep.hpp"

namespace kt::workers {

bool sleep_for(std::chrono::milliseconds delay, const std::stop_token& stop) {
    return retry::sleep_for(delay, stop);
}

BatchRetry::BatchRetry(std::string who, metrics::Counter& failures, http::Liveness& liveness)
    : who_(std::move(who)), failures_(failures), liveness_(liveness) {}

bool BatchRetry::run(const std::stop_token& stop, const std::function<bool()>& attempt) {
    // Seeded once per thread: std::random_device costs a system call, and this runs per batch.
    thread_local const retry::RandomSource random = retry::default_random_source();
    retry::Backoff backoff({}, random);
    while (!stop.stop_requested()) {
        try {
            const bool done = attempt();
            if (done) failing_ = false;
            return done;
        } catch (const kt::Error& e) {
            liveness_.beat(std::chrono::steady_clock::now());
            failures_.inc();
            const std::string error = config::redact(e.what());
            {
                std::lock_guard lock(mutex_);
                last_error_ = error;
                last_error_at_ = std::chrono::duration<double>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
            }
            failing_ = true;
            const auto delay = backoff.next();
            log::warn("{}: batch failed, retrying in {} ms: {}", who_, delay.count(), error);
            if (!sleep_for(delay, stop)) return false;
        }
    }
    return false;
}

http::Check BatchRetry::readiness() const {
    if (!failing_) return {};
    std::lock_guard lock(mutex_);
    return {false, fmt::format("{}: {}", who_, last_error_)};
}

std::pair<std::string, std::optional<double>> BatchRetry::last_error() const {
    std::lock_guard lock(mutex_);
    return {last_error_, last_error_at_};
}

}  // namespace kt::workers
