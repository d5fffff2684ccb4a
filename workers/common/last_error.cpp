#include "workers/common/last_error.hpp"

#include <chrono>

#include <fmt/format.h>

#include "lib/config/redact.hpp"

namespace kt::workers {

std::string LastError::set(std::string_view error) {
    std::string redacted = config::redact(error);
    {
        std::lock_guard lock(mutex_);
        error_ = redacted;
        at_ = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                  .count();
    }
    failing_ = true;
    return redacted;
}

http::Check LastError::readiness() const {
    if (!failing_) return {};
    std::lock_guard lock(mutex_);
    return {false, fmt::format("{}: {}", who_, error_)};
}

std::pair<std::string, std::optional<double>> LastError::last() const {
    std::lock_guard lock(mutex_);
    return {error_, at_};
}

}  // namespace kt::workers
