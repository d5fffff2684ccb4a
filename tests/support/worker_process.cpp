#include "lib/non_copyable.hpp"
#include "tests/support/worker_process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "tests/support/test_env.hpp"

extern char** environ;

namespace kt::test {

namespace {

using std::chrono::milliseconds;

/// posix_spawn attributes and file actions, released on every path.
struct SpawnSetup : private NonCopyable {
    posix_spawnattr_t attr{};
    posix_spawn_file_actions_t actions{};

    SpawnSetup() {
        posix_spawnattr_init(&attr);
        posix_spawn_file_actions_init(&actions);
    }
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
};

/// This process's environment with `extra` set on top.
std::vector<std::string> merged_environment(const std::map<std::string, std::string>& extra) {
    std::vector<std::string> out;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string_view entry(*e);
        const std::string name(entry.substr(0, entry.find('=')));
        if (extra.count(name) == 0) out.emplace_back(entry);
    }
    for (const auto& [name, value] : extra) out.push_back(name + "=" + value);
    return out;
}

/// A null-terminated array of pointers into `strings` (which must outlive it).
std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (auto& s : strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

std::size_t count_occurrences(std::string_view text, std::string_view needle) {
    if (needle.empty()) return 0;
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string_view::npos;
         at = text.find(needle, at + needle.size())) {
        ++n;
    }
    return n;
}

}  // namespace

WorkerProcess::WorkerProcess(WorkerProcessOptions options)
    : log_path_(
          options.log_path.empty()
              ? (std::filesystem::temp_directory_path() / (unique_name("worker") + ".log")).string()
              : options.log_path) {
    if (::access(options.binary.c_str(), X_OK) != 0) {
        throw std::runtime_error("not an executable: " + options.binary);
    }
    std::vector<std::string> argv_strings{options.binary};
    argv_strings.insert(argv_strings.end(), options.args.begin(), options.args.end());
    std::vector<std::string> env_strings = merged_environment(options.env);
    std::vector<char*> argv = pointers(argv_strings);
    std::vector<char*> envp = pointers(env_strings);

    SpawnSetup setup;
    // The child starts with default dispositions and nothing blocked, whatever this process
    // (a test runner with its own threads) has set.
    sigset_t none;
    sigemptyset(&none);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int s : {SIGTERM, SIGINT, SIGPIPE, SIGHUP, SIGCHLD}) sigaddset(&defaults, s);
    posix_spawnattr_setsigmask(&setup.attr, &none);
    posix_spawnattr_setsigdefault(&setup.attr, &defaults);
    // Its own process group, so a terminal's Ctrl-C reaches only the test runner.
    posix_spawnattr_setpgroup(&setup.attr, 0);
    posix_spawnattr_setflags(
        &setup.attr,
        static_cast<short>(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP));
    posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&setup.actions, STDOUT_FILENO, log_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&setup.actions, STDOUT_FILENO, STDERR_FILENO);

    const int rc = posix_spawn(&pid_, options.binary.c_str(), &setup.actions, &setup.attr,
                               argv.data(), envp.data());
    if (rc != 0) {
        pid_ = -1;
        throw std::runtime_error("cannot start " + options.binary + ": " + std::strerror(rc));
    }
}

WorkerProcess::~WorkerProcess() {
    if (pid_ > 0 && !exit_code_) {
        ::kill(pid_, SIGKILL);
        reap(true);
    }
}

std::string WorkerProcess::log() const {
    std::ifstream in(log_path_, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::size_t WorkerProcess::count_in_log(std::string_view needle) const {
    return count_occurrences(log(), needle);
}

std::size_t WorkerProcess::count_warnings() const {
    const std::string text = log();
    std::size_t count = 0;
    std::size_t begin = 0;
    while (begin < text.size()) {
        std::size_t end = text.find('\n', begin);
        if (end == std::string::npos) end = text.size();
        const std::string_view line(text.data() + begin, end - begin);
        const bool retried = line.find("component=librdkafka") != std::string_view::npos &&
                             line.find(": retrying") != std::string_view::npos;
        if (line.find(" warn ") != std::string_view::npos && !retried) ++count;
        begin = end + 1;
    }
    return count;
}

bool WorkerProcess::wait_for_log(std::string_view needle, milliseconds timeout, std::size_t times) {
    return wait_until(
        [&] {
            if (count_in_log(needle) >= times) return true;
            // Exited: the log is final, so the line will never come; check once more.
            if (!running()) {
                return count_in_log(needle) >= times;
            }
            return false;
        },
        timeout, milliseconds(20));
}

void WorkerProcess::signal(int signal) {
    if (pid_ > 0 && !exit_code_) ::kill(pid_, signal);
}

void WorkerProcess::terminate() {
    signal(SIGTERM);
}

void WorkerProcess::kill() {
    signal(SIGKILL);
}

bool WorkerProcess::running() {
    return pid_ > 0 && !exit_code_ && !reap(false);
}

std::optional<int> WorkerProcess::wait_exit(milliseconds timeout) {
    wait_until([this] { return !running(); }, timeout, milliseconds(10));
    return exit_code_;
}

bool WorkerProcess::reap(bool block) {
    if (exit_code_) return true;
    int status = 0;
    pid_t r = 0;
    do {
        r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r != pid_) return false;
    if (WIFEXITED(status)) {
        exit_code_ = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        exit_code_ = 128 + WTERMSIG(status);
    } else {
        return false;
    }
    return true;
}

}  // namespace kt::test
