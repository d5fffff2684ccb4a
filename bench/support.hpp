#pragma once

// What the benchmarks share: the development stack from the environment, child processes with
// their CPU time, scratch folders, topics on the development broker, and printing.

#include <sys/types.h>

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "lib/non_copyable.hpp"

namespace kt::bench {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

/// The development stack, from the variables the test script sets.
struct Stack {
    std::string postgres_url;
    std::string brokers;
    std::string control_url;
    std::string es_url;
    std::string kafka_kind;   ///< KT_TEST_STACK_KAFKA: kafka (Apache Kafka) or devbroker
    std::string search_kind;  ///< KT_TEST_STACK_SEARCH: elasticsearch, opensearch or standin
};

/// The stack from KT_TEST_*; throws kt::Error naming a missing variable.
[[nodiscard]] Stack stack_from_env();

/// Names no earlier run used: `<pid>_<random>`.
[[nodiscard]] std::string unique_suffix();

/// Seconds from `from` to `to`.
[[nodiscard]] double seconds_between(Clock::time_point from, Clock::time_point to);

/// One measured run: how many items (rows, children, ...), how long, how much CPU.
struct Figures {
    std::int64_t count = 0;
    double seconds = 0;
    double cpu_seconds = 0;
    std::int64_t peak_rss_bytes = 0;  ///< VmHWM of the measured process; 0 when unknown

    /// Items per second; 0 when nothing was timed.
    [[nodiscard]] double rate() const {
        return seconds > 0 ? static_cast<double>(count) / seconds : 0;
    }
    /// CPU microseconds per item; 0 without items.
    [[nodiscard]] double micros() const {
        return count > 0 ? cpu_seconds * 1e6 / static_cast<double>(count) : 0;
    }
};

/// Times `work` in this process (wall clock and this process's CPU); its result is the count.
[[nodiscard]] Figures measure_here(const std::function<std::int64_t()>& work);

/// CPU seconds (user + system, every thread) of this process so far.
[[nodiscard]] double own_cpu_seconds();

/// CPU seconds (utime + stime of all threads) of process `pid`, from /proc/<pid>/stat.
[[nodiscard]] std::optional<double> process_cpu_seconds(pid_t pid);
/// The parent pid of process `pid`, from /proc/<pid>/stat; nullopt when it is gone.
[[nodiscard]] std::optional<pid_t> process_parent(pid_t pid);

/// Peak resident memory (VmHWM) of process `pid` in bytes, from /proc/<pid>/status.
[[nodiscard]] std::optional<std::int64_t> process_peak_rss_bytes(pid_t pid);

/// Owns a scratch folder and removes it at the end.
class ScratchDir : private NonCopyable {
public:
    /// Creates a fresh folder in the temp directory; throws kt::Error.
    ScratchDir();
    ~ScratchDir();

    /// The folder.
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path path_;
};

/// A child process that is stopped (SIGTERM, then SIGKILL) and reaped when this goes away.
class ChildProcess : private NonCopyable {
public:
    /// Starts `argv` with stdout and stderr appended to `log_path`; throws kt::Error.
    ChildProcess(const std::vector<std::string>& argv, const std::string& log_path);
    ~ChildProcess();

    /// The process id.
    [[nodiscard]] pid_t pid() const noexcept { return pid_; }
    /// True while the process has not exited (reaps it when it has).
    bool running();
    /// SIGTERM, waits up to `grace`, then SIGKILL; returns the total CPU seconds of the process
    /// from wait4 when this call reaped it.
    std::optional<double> stop(std::chrono::milliseconds grace);
    /// Wait status once reaped.
    [[nodiscard]] int exit_status() const noexcept { return exit_status_; }

private:
    pid_t pid_ = 0;
    bool reaped_ = false;
    int exit_status_ = 0;
};

/// A TCP port that was free a moment ago.
[[nodiscard]] int free_port();

/// Creates `topic` with `partitions` on the stack's Kafka: through the Admin API on Apache
/// Kafka, through the devbroker control endpoint otherwise; throws kt::Error.
void create_topic(const Stack& stack, const std::string& topic, int partitions);

/// Produces `{"id": n}` keyed by n for every id 1..rows and waits for every acknowledgement.
void produce_ids(const Stack& stack, const std::string& topic, int rows);

/// Sum of the high watermarks of `topic` (the number of messages on it).
[[nodiscard]] std::int64_t topic_end(const Stack& stack, const std::string& topic, int partitions);

/// One row of a figures table: what, measured, CPU, target.
void print_row(const std::string& what, const std::string& measured, const std::string& cpu,
               const std::string& target);

/// kt's log lines in text, warnings and errors only, so that they do not drown the figures.
void configure_logging();

/// The first three fields of /proc/loadavg.
[[nodiscard]] std::string load_average();

/// Prints the load average at the end of a report.
void print_load_average_after();

/// The main of a benchmark named `name`: parses the command line into the `Args` that `run`
/// takes (`Args::add_options` declares it; CLI11 answers --help and bad options), keeps kt's
/// logging to warnings, runs it and prints the load average after a run that returns 0; returns
/// what `run` returns, or 1 after printing an exception after `name`.
template <class Args>
int bench_main(int argc, char** argv, const char* name, const char* description,
               int (*run)(const Args&)) {
    Args args;
    CLI::App app{description};
    args.add_options(app);
    CLI11_PARSE(app, argc, argv);
    configure_logging();
    try {
        const int code = run(args);
        if (code == 0) print_load_average_after();
        return code;
    } catch (const std::exception& e) {
        std::cerr << name << ": " << e.what() << "\n";
        return 1;
    }
}

}  // namespace kt::bench
