#include "cmd/kt/guard.hpp"

#include <exception>

#include "lib/error.hpp"
#include "lib/log/log.hpp"

namespace kt::cmd {

int run_guarded(const std::function<int()>& command) {
    try {
        return command();
    } catch (const kt::Error& e) {
        log::error("{}", e.what());
    } catch (const std::exception& e) {
        log::error("unexpected failure: {}", e.what());
    } catch (...) {
        log::error("unexpected failure (an exception of unknown type)");
    }
    return 1;
}

}  // namespace kt::cmd
