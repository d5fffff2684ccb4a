#include "workers/common/batch_retry.hpp"

#include "lib/error.hpp"
#include "lib/log/log.hpp"
#include "lib/retry/backoff.hpp"
#include "lib/retry/sleep.hpp"

namespace kt::workers {

bool sleep_for(std::chrono::milliseconds delay, const std::stop_token& stop) {
    return retry::sleep_for(delay, stop);
}

BatchRetry::BatchRetry(std::string who, metrics::Counter& failures, http::Liveness& liveness,
                       Sleeper sleep)
    : who_(who),
      failures_(failures),
      liveness_(liveness),
      sleep_(std::move(sleep)),
      error_(std::move(who)) {}

bool BatchRetry::run(const std::stop_token& stop, const std::function<bool()>& attempt) {
    // Seeded once per thread: std::random_device costs a system call, and this runs per batch.
    thread_local const retry::RandomSource random = retry::default_random_source();
    retry::Backoff backoff({}, random);
    while (!stop.stop_requested()) {
        try {
            const bool done = attempt();
            if (done) error_.clear();
            return done;
        } catch (const kt::Error& e) {
            liveness_.beat(std::chrono::steady_clock::now());
            failures_.inc();
            const std::string error = error_.set(e.what());
            const auto delay = backoff.next();
            log::warn("{}: batch failed, retrying in {} ms: {}", who_, delay.count(), error);
            if (!sleep_(delay, stop)) return false;
        }
    }
    return false;
}

http::Check BatchRetry::readiness() const {
    return error_.readiness();
}

std::pair<std::string, std::optional<double>> BatchRetry::last_error() const {
    return error_.last();
}

}  // namespace kt::workers
