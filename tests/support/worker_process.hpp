#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/non_copyable.hpp"

namespace kt::test {

/// How to start a WorkerProcess.
struct WorkerProcessOptions {
    std::string binary;             ///< path of the executable
    std::vector<std::string> args;  ///< arguments after argv[0]
    /// Variables set (or replaced) on top of this process's environment.
    std::map<std::string, std::string> env;
    /// Where stdout and stderr go (created or truncated); empty picks a fresh file in the
    /// test temp dir.
    std::string log_path;
};

/// A child process (a worker executable) started for a test: its stdout and stderr go to a
/// file that the test reads for log lines. The destructor SIGKILLs and reaps it when it still
/// runs. Not thread-safe; neither copied nor moved.
class WorkerProcess : private NonCopyable {
public:
    /// Spawns the process; throws std::runtime_error when it cannot be started.
    explicit WorkerProcess(WorkerProcessOptions options);
    /// Kills (SIGKILL) and reaps the process when still running; never throws.
    ~WorkerProcess();

    /// Process id.
    [[nodiscard]] pid_t pid() const noexcept { return pid_; }
    /// File holding the process's stdout and stderr.
    [[nodiscard]] const std::string& log_path() const noexcept { return log_path_; }
    /// Everything the process wrote so far.
    [[nodiscard]] std::string log() const;
    /// How many times `needle` occurs in the log so far.
    [[nodiscard]] std::size_t count_in_log(std::string_view needle) const;
    /// How many warnings the log holds, leaving out librdkafka's own notes of a request it
    /// retries (a real broker answers "Coordinator load in progress" while it starts up).
    [[nodiscard]] std::size_t count_warnings() const;
    /// Waits until `needle` occurs at least `times` times in the log; false when the deadline
    /// passes or the process exits first (its log is then final).
    bool wait_for_log(std::string_view needle, std::chrono::milliseconds timeout,
                      std::size_t times = 1);

    /// Sends `signal` unless the process was already reaped.
    void signal(int signal);
    /// Sends SIGTERM.
    void terminate();
    /// Sends SIGKILL.
    void kill();
    /// True while the process has not exited (reaps it when it has).
    bool running();
    /// Waits up to `timeout` for the process to exit: its exit code, 128 + signal number when a
    /// signal ended it, nullopt when it still runs at the deadline.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout);

private:
    bool reap(bool block);

    std::string log_path_;
    pid_t pid_ = -1;
    std::optional<int> exit_code_;
};

}  // namespace kt::test
