#include "lib/http/readiness.hpp"

#include <utility>

namespace kt::http {

ReadinessProber::ReadinessProber(std::vector<Probe> probes, std::chrono::milliseconds interval)
    : probes_(std::move(probes)),
      interval_(interval),
      thread_([this](const std::stop_token& stop) { run(stop); }) {}

ReadinessProber::~ReadinessProber() {
    thread_.request_stop();
    if (thread_.joinable()) thread_.join();
}

Check ReadinessProber::check() const {
    std::lock_guard lock(mutex_);
    return latest_;
}

void ReadinessProber::wait_first_round() const {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return probed_; });
}

void ReadinessProber::run(const std::stop_token& stop) {
    while (!stop.stop_requested()) {
        Check round;
        for (const auto& p : probes_) {
            if (stop.stop_requested()) return;
            try {
                p.probe();
            } catch (const std::exception& e) {
                round.ok = false;
                round.detail += (round.detail.empty() ? "" : "; ") + p.name + ": " + e.what();
            }
        }
        std::unique_lock lock(mutex_);
        latest_ = std::move(round);
        probed_ = true;
        changed_.notify_all();
        (void)changed_.wait_for(lock, stop, interval_, [] { return false; });
    }
}

}  // namespace kt::http
