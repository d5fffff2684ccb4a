#pragma once

#include <functional>
#include <string>

namespace kt::http {

/// Outcome of a health or readiness check: `detail` is a short reason shown to the prober.
struct Check {
    bool ok = true;
    std::string detail;
};

/// A check run on a status server thread; it must be thread-safe and should be quick.
using CheckFn = std::function<Check()>;

}  // namespace kt::http
