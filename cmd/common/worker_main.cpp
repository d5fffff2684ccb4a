#include "cmd/common/worker_main.hpp"

#include <csignal>
#include <thread>

#include "lib/log/log.hpp"

namespace kt::cmd {

std::stop_source install_stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::stop_source source;
    std::thread([set, source]() mutable {
        int sig = 0;
        sigwait(&set, &sig);
        log::info("received {}, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        source.request_stop();
    }).detach();
    return source;
}

}  // namespace kt::cmd
