#include "tests/support/test_env.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace kt::test {

std::string require_env(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        throw std::runtime_error(std::string(name) +
                                 " is not set: run integration tests through scripts/test.sh "
                                 "(or source .stack/env after scripts/stack.sh start)");
    }
    return value;
}

std::string kafka_brokers() { return require_env("KT_TEST_KAFKA_BROKERS"); }

bool stack_runs_real_kafka() {
    const char* kind = std::getenv("KT_TEST_STACK_KAFKA");
    return kind != nullptr && std::string_view(kind) == "kafka";
}

std::string devbroker_brokers() { return require_env("KT_TEST_DEVBROKER_BROKERS"); }
std::string devbroker_control() { return require_env("KT_TEST_DEVBROKER_CONTROL"); }
std::string postgres_url() { return require_env("KT_TEST_POSTGRES_URL"); }
std::string es_url() { return require_env("KT_TEST_ES_URL"); }

std::string stack_search() {
    const char* kind = std::getenv("KT_TEST_STACK_SEARCH");
    return kind != nullptr && *kind != '\0' ? kind : "standin";
}

std::string standin_url() { return require_env("KT_TEST_STANDIN_URL"); }

std::string unique_name(const std::string& prefix) {
    static std::atomic<int> counter{0};
    static const unsigned salt = std::random_device{}();
    return prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
           std::to_string(salt % 100000);
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        if (condition()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return condition();
        std::this_thread::sleep_for(poll);
    }
}

int closed_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        if (fd >= 0) ::close(fd);
        return 9;  // discard: nothing listens there on a development machine
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

}  // namespace kt::test
