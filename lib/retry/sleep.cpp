#include "lib/retry/sleep.hpp"

#include <condition_variable>
#include <mutex>

namespace kt::retry {

bool sleep_for(std::chrono::milliseconds delay, const std::stop_token& stop) {
    std::mutex mutex;
    std::condition_variable_any cv;
    std::unique_lock lock(mutex);
    (void)cv.wait_for(lock, stop, delay, [] { return false; });
    return !stop.stop_requested();
}

}  // namespace kt::retry
