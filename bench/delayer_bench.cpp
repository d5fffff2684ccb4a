// delayer_bench: the real kt-delayer on the development stack.
//
//   1. Throughput: --envelopes envelopes, all long overdue, on a --partitions delay topic; the
//      release rate from the first acknowledged batch to the last (and from process start).
//   2. Backlog: --envelopes envelopes that fall due spread evenly over --window seconds, starting
//      --lead seconds after they were produced. While all of them are pending, the resident
//      memory of kt-delayer is sampled; then every release is read back from the model topic and
//      its Kafka timestamp (set by kt-delayer's producer) compared with its due time: p50, p99
//      and max lateness, and how many were early (must be none).
//
// Reads the stack from KT_TEST_KAFKA_BROKERS and KT_TEST_DEVBROKER_CONTROL (scripts/bench.sh
// starts a private stack and sets them). A report, not a test: it exits 0 whatever the figures
// are, 1 only when it cannot run.
//
//   delayer_bench [--envelopes 1000000] [--partitions 32] [--window 60] [--lead 60]
//                 [--skip-throughput] [--skip-backlog] [--delayer PATH] [--timeout 900]
//                 [--keep-logs]
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "bench/support.hpp"
#include "lib/error.hpp"
#include "lib/kafka/consumer.hpp"
#include "lib/kafka/options.hpp"
#include "lib/kafka/producer.hpp"
#include "lib/log/log.hpp"
#include "lib/non_copyable.hpp"

namespace kt::bench {
namespace {

constexpr double kTargetReleasesPerSecond = 50'000.0;
constexpr double kTargetResidentMiB = 64.0;
constexpr double kTargetP99Lateness = 1.0;
constexpr milliseconds kSample{50};

/// Command line of the benchmark.
struct Args {
    int envelopes = 1'000'000;
    int partitions = 32;
    int window_seconds = 60;  ///< backlog: due times spread over this long
    int lead_seconds = 60;    ///< backlog: first due time, after the envelopes are produced
    bool skip_throughput = false;
    bool skip_backlog = false;
    std::string delayer = KT_BINARY_DIR "/cmd/kt-delayer";
    int timeout_seconds = 900;
    bool keep_logs = false;

    void add_options(CLI::App& app) {
        app.add_option("--envelopes", envelopes, "envelopes per phase");
        app.add_option("--partitions", partitions, "partitions of the delay and model topics");
        app.add_option("--window", window_seconds, "backlog: due times spread over this long");
        app.add_option("--lead", lead_seconds,
                       "backlog: seconds from producing to the first due time");
        app.add_flag("--skip-throughput", skip_throughput, "skip the all-due phase");
        app.add_flag("--skip-backlog", skip_backlog, "skip the backlog phase");
        app.add_option("--delayer", delayer, "kt-delayer executable");
        app.add_option("--timeout", timeout_seconds, "give up on a phase after this many s");
        app.add_flag("--keep-logs", keep_logs, "keep kt-delayer's configs and logs");
    }
};

double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// A `Vm…:` line of /proc/<pid>/status in MiB (VmRSS: resident now, VmHWM: peak resident).
std::optional<double> process_memory_mib(pid_t pid, const std::string& field) {
    std::ifstream in(fmt::format("/proc/{}/status", pid));
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with(field + ":")) {
            return std::strtod(line.c_str() + field.size() + 1, nullptr) / 1024.0;
        }
    }
    return std::nullopt;
}

/// Holds the configs and logs of a run; removed at the end unless kept.
class LogDir : private NonCopyable {
public:
    explicit LogDir(bool keep) : keep_(keep) {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "kt-delayer-bench.XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw Error("cannot create a scratch folder");
        path_ = pattern;
    }
    ~LogDir() {
        if (keep_) {
            std::cout << "logs kept in " << path_.string() << "\n";
            return;
        }
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

private:
    bool keep_;
    std::filesystem::path path_;
};

/// Produces envelope i (payload id i, created_at from `created_at(i)`) to partition
/// i % partitions for i in [0, n). The development broker keeps at most 5 MiB and 100,000
/// message sets per partition: large zstd batches keep a million envelopes far below both.
template <typename CreatedAt>
void produce_envelopes(const Stack& stack, const std::string& topic, int partitions, int n,
                       const std::string& target, CreatedAt created_at) {
    kafka::Options options;
    options.brokers = stack.brokers;
    options.properties = {{"compression.codec", "zstd"},
                          {"linger.ms", "100"},
                          {"batch.size", "1000000"},
                          {"batch.num.messages", "10000"},
                          {"queue.buffering.max.messages", "1000000"}};
    kafka::Producer producer(options);
    std::string value;
    for (int i = 0; i < n; ++i) {
        value = fmt::format(R"({{"payload":{{"id":{}}},"created_at":{:.6f},"topic":"{}"}})", i,
                            created_at(i), target);
        producer.produce(kafka::Record{topic, std::nullopt, value, {}, i % partitions, 0});
    }
    const auto flushed = producer.flush(seconds(300));
    if (!flushed.ok() || flushed.delivered != static_cast<std::uint64_t>(n)) {
        throw Error(fmt::format("produced {} of {} envelopes to {}: {}", flushed.delivered, n,
                                topic, kafka::error_description(flushed.first_error)));
    }
}

/// Writes a kt config with one delayer `name` (topic `name`) releasing to `target`.
void write_config(const std::filesystem::path& path, const Stack& stack, const std::string& name,
                  const std::string& target, milliseconds delay) {
    std::ofstream out(path);
    out << "kafka:\n"
        << "  brokers: \"" << stack.brokers << "\"\n"
        << "  group_prefix: bench\n"
        << "  properties:\n"
        << "    session.timeout.ms: \"6000\"\n"
        << "    heartbeat.interval.ms: \"500\"\n"
        << "postgres:\n"
        << "  url: \"postgresql://unused\"\n"
        << "elasticsearch:\n"
        << "  url: \"http://127.0.0.1:9\"\n"
        << "indexes:\n"
        << "  " << target << ": { table: " << target << " }\n"
        << "delayers:\n"
        << "  " << name << ": { delay: " << delay.count() << "ms, target: " << target << " }\n";
    if (!out) throw Error("cannot write " + path.string());
}

/// A kt-delayer process and its /metrics.
class Delayer {
public:
    Delayer(const Args& args, const std::filesystem::path& dir, const std::string& name)
        : name_(name),
          port_(free_port()),
          log_((dir / (name + ".log")).string()),
          process_({args.delayer, "--config", (dir / (name + ".yaml")).string(), "--metrics-port",
                    std::to_string(port_)},
                   log_),
          started_(Clock::now()) {}

    [[nodiscard]] ChildProcess& process() { return process_; }
    [[nodiscard]] Clock::time_point started() const { return started_; }
    [[nodiscard]] const std::string& log_path() const { return log_; }

    /// `kt_delayer_<metric>{delayer="<name>"}`; nullopt when unreachable or absent.
    std::optional<double> metric(const std::string& metric) {
        httplib::Client client("127.0.0.1", port_);
        client.set_connection_timeout(seconds(1));
        const auto res = client.Get("/metrics");
        if (!res || res->status != 200) return std::nullopt;
        const std::string prefix = fmt::format("kt_delayer_{}{{delayer=\"{}\"}} ", metric, name_);
        const auto at = res->body.find(prefix);
        if (at == std::string::npos) return std::nullopt;
        return std::strtod(res->body.c_str() + at + prefix.size(), nullptr);
    }

private:
    std::string name_;
    int port_;
    std::string log_;
    ChildProcess process_;
    Clock::time_point started_;
};

/// Timestamps (ms) of every message of `topic` by payload id, read with a fresh group.
std::vector<std::int64_t> read_release_times(const Stack& stack, const std::string& topic, int n,
                                             std::size_t& duplicates, seconds timeout) {
    kafka::Options options;
    options.brokers = stack.brokers;
    options.group_id = fmt::format("bench_reader_{}", ::getpid());
    options.properties = {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}};
    std::vector<std::int64_t> times(static_cast<std::size_t>(n), -1);
    int seen = 0;
    duplicates = 0;
    kafka::Consumer consumer(options);
    consumer.subscribe({topic});
    const auto deadline = Clock::now() + timeout;
    std::vector<kafka::Message> batch;
    while (seen < n && Clock::now() < deadline) {
        batch.clear();
        consumer.poll_batch(batch, 10000, milliseconds(200));
        for (const auto& m : batch) {
            // {"id":N}
            const auto payload = m.payload();
            const auto colon = payload.find(':');
            if (colon == std::string_view::npos) continue;
            const long id =
                std::strtol(std::string(payload.substr(colon + 1)).c_str(), nullptr, 10);
            if (id < 0 || id >= n) continue;
            auto& slot = times[static_cast<std::size_t>(id)];
            if (slot >= 0) {
                ++duplicates;
                continue;
            }
            slot = m.timestamp() ? m.timestamp()->count() : 0;
            ++seen;
        }
    }
    batch.clear();
    consumer.close();
    return times;
}

/// The last lines of a log file.
std::string log_tail(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    std::string out;
    for (std::size_t i = lines.size() > 20 ? lines.size() - 20 : 0; i < lines.size(); ++i) {
        out += "    " + lines[i] + "\n";
    }
    return out;
}

/// Stops `process` (SIGTERM, then SIGKILL after `grace`): its exit code, 128 + signal when a
/// signal ended it.
int stop_process(ChildProcess& process, milliseconds grace) {
    (void)process.stop(grace);
    const int status = process.exit_status();
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string verdict(bool ok) {
    return ok ? "meets target" : "MISSES target";
}

/// Creates the delay topic `name` of a phase, its dead-letter topic and its target
/// `<name>_target`; returns the target.
std::string create_phase_topics(const Args& args, const Stack& stack, const std::string& name) {
    std::string target = name + "_target";
    create_topic(stack, name, args.partitions);
    create_topic(stack, name + ".dlq", 1);
    create_topic(stack, target, args.partitions);
    return target;
}

/// Phase 1: every envelope already due.
void run_throughput(const Args& args, const Stack& stack, const LogDir& dir) {
    const std::string name = fmt::format("bench_delay_all_due_{}", ::getpid());
    const std::string target = create_phase_topics(args, stack, name);
    const double long_ago = unix_now() - 86400;
    std::cout << fmt::format("throughput: producing {} overdue envelopes to {} partitions ...\n",
                             args.envelopes, args.partitions)
              << std::flush;
    const auto p0 = Clock::now();
    produce_envelopes(stack, name, args.partitions, args.envelopes, target,
                      [&](int) { return long_ago; });
    std::cout << fmt::format("  produced in {:.1f} s\n", seconds_between(p0, Clock::now()));
    write_config(dir.path() / (name + ".yaml"), stack, name, target, milliseconds(1000));

    Delayer delayer(args, dir.path(), name);
    const auto n = static_cast<double>(args.envelopes);
    std::optional<Clock::time_point> first;
    double at_first = 0;
    double cpu_at_first = 0;
    Clock::time_point done{};
    const auto deadline = Clock::now() + seconds(args.timeout_seconds);
    while (Clock::now() < deadline && delayer.process().running()) {
        const double released = delayer.metric("released_total").value_or(0);
        if (!first && released > 0) {
            first = Clock::now();
            at_first = released;
            cpu_at_first = process_cpu_seconds(delayer.process().pid()).value_or(0);
        }
        if (released >= n) {
            done = Clock::now();
            break;
        }
        std::this_thread::sleep_for(kSample);  // sampling interval of /metrics
    }
    if (done == Clock::time_point{}) {
        std::cout << "  did not finish:\n" << log_tail(delayer.log_path());
        return;
    }
    const double cpu = process_cpu_seconds(delayer.process().pid()).value_or(0);
    const double peak = process_memory_mib(delayer.process().pid(), "VmHWM").value_or(0);
    const int exit_code = stop_process(delayer.process(), seconds(15));
    const double steady = seconds_between(*first, done);
    const double rate = (n - at_first) / steady;
    std::cout << fmt::format(
        "  release throughput, steady (first batch to last): {:.0f} envelopes/s ({}: >= {:.0f})\n"
        "  from process start (incl. group join): {:.0f} envelopes/s in {:.1f} s\n"
        "  kt-delayer CPU: {:.2f} us per envelope (steady); peak resident memory {:.1f} MiB; "
        "exit code {}\n",
        rate, verdict(rate >= kTargetReleasesPerSecond), kTargetReleasesPerSecond,
        n / seconds_between(delayer.started(), done), seconds_between(delayer.started(), done),
        (cpu - cpu_at_first) / (n - at_first) * 1e6, peak, exit_code);
}

/// Phase 2: a million envelopes pending, then falling due over the window.
void run_backlog(const Args& args, const Stack& stack, const LogDir& dir) {
    const std::string name = fmt::format("bench_delay_backlog_{}", ::getpid());
    const std::string target = create_phase_topics(args, stack, name);

    // created_at spreads over the window just before now; the delay makes the first one due
    // `lead` seconds from now and the last one `lead + window` seconds from now.
    const double start = unix_now();
    const double window = args.window_seconds;
    const double lead = args.lead_seconds;
    const auto n = args.envelopes;
    const auto created_at = [&](int i) {
        return start - window + window * static_cast<double>(i) / static_cast<double>(n);
    };
    const milliseconds delay(static_cast<std::int64_t>((lead + window) * 1000));
    const auto due = [&](int i) {
        return created_at(i) + static_cast<double>(delay.count()) / 1000;
    };
    std::cout << fmt::format(
                     "backlog: producing {} envelopes falling due over {} s, the first {} s from "
                     "now ...\n",
                     n, args.window_seconds, args.lead_seconds)
              << std::flush;
    produce_envelopes(stack, name, args.partitions, n, target, created_at);
    const double produced = unix_now();
    std::cout << fmt::format("  produced in {:.1f} s\n", produced - start);
    if (produced > start + lead - 20) {
        std::cout << "  producing took too long for the lead time: raise --lead\n";
        return;
    }
    write_config(dir.path() / (name + ".yaml"), stack, name, target, delay);
    Delayer delayer(args, dir.path(), name);
    // Serving /metrics means the config was accepted; a config error ends it at once.
    const auto serving_by = Clock::now() + seconds(30);
    while (delayer.process().running() && !delayer.metric("window_envelopes") &&
           Clock::now() < serving_by) {
        std::this_thread::sleep_for(milliseconds(20));  // polling interval
    }
    if (!delayer.process().running()) {
        std::cout << "  kt-delayer exited:\n" << log_tail(delayer.log_path());
        return;
    }

    // All pending: sample resident memory until the first envelope falls due.
    double pending_rss = 0;
    double held = 0;
    double window_envelopes = 0;
    double paused = 0;
    double cpu_hold_from = -1;
    double hold_from = 0;
    while (unix_now() < due(0) - 0.5 && delayer.process().running()) {
        held = delayer.metric("held_envelopes").value_or(0);
        window_envelopes = delayer.metric("window_envelopes").value_or(0);
        paused = delayer.metric("paused_partitions").value_or(0);
        if (paused >= args.partitions && cpu_hold_from < 0) {
            cpu_hold_from = process_cpu_seconds(delayer.process().pid()).value_or(0);
            hold_from = unix_now();
        }
        pending_rss =
            std::max(pending_rss, process_memory_mib(delayer.process().pid(), "VmRSS").value_or(0));
        std::this_thread::sleep_for(kSample);  // sampling interval of memory and /metrics
    }
    const double hold_cpu =
        cpu_hold_from < 0
            ? 0
            : process_cpu_seconds(delayer.process().pid()).value_or(0) - cpu_hold_from;
    const double hold_seconds = cpu_hold_from < 0 ? 0 : unix_now() - hold_from;
    const double pending_peak = process_memory_mib(delayer.process().pid(), "VmHWM").value_or(0);
    std::cout << fmt::format(
        "  while {} envelopes were pending: resident memory of kt-delayer at most {:.1f} MiB "
        "(peak since start {:.1f} MiB; {}: <= {:.0f} MiB); {:.0f} held in memory, {:.0f} of {} "
        "partitions paused; CPU while holding {:.1f}% of a core\n",
        static_cast<std::int64_t>(held), pending_rss, pending_peak,
        verdict(pending_peak <= kTargetResidentMiB), kTargetResidentMiB, window_envelopes, paused,
        args.partitions, hold_seconds > 0 ? 100.0 * hold_cpu / hold_seconds : 0.0);

    // Releasing: wait for the last one, keep sampling memory.
    double release_rss = 0;
    const auto deadline = Clock::now() + seconds(args.timeout_seconds);
    while (Clock::now() < deadline && delayer.process().running()) {
        release_rss =
            std::max(release_rss, process_memory_mib(delayer.process().pid(), "VmRSS").value_or(0));
        if (delayer.metric("released_total").value_or(0) >= n) break;
        std::this_thread::sleep_for(kSample);  // sampling interval of memory and /metrics
    }
    const double peak = process_memory_mib(delayer.process().pid(), "VmHWM").value_or(0);
    const int exit_code = stop_process(delayer.process(), seconds(15));

    std::size_t duplicates = 0;
    const auto times = read_release_times(stack, target, n, duplicates, seconds(300));
    std::vector<double> late;
    late.reserve(times.size());
    std::size_t missing = 0;
    std::size_t early = 0;
    for (int i = 0; i < n; ++i) {
        const auto ts = times[static_cast<std::size_t>(i)];
        if (ts < 0) {
            ++missing;
            continue;
        }
        if (ts < static_cast<std::int64_t>(std::floor(due(i) * 1000))) ++early;
        late.push_back(static_cast<double>(ts) / 1000.0 - due(i));
    }
    std::sort(late.begin(), late.end());
    const auto quantile = [&](double q) {
        if (late.empty()) return std::nan("");
        return late[std::min(late.size() - 1,
                             static_cast<std::size_t>(q * static_cast<double>(late.size())))];
    };
    std::cout << fmt::format(
        "  releases: {} read back, {} missing, {} duplicates, {} early; lateness p50 {:.3f} s, "
        "p99 {:.3f} s ({}: <= {:.0f} s), max {:.3f} s\n"
        "  resident memory while releasing at most {:.1f} MiB (peak {:.1f} MiB); exit code {}\n",
        late.size(), missing, duplicates, early, quantile(0.5), quantile(0.99),
        verdict(quantile(0.99) <= kTargetP99Lateness), kTargetP99Lateness,
        late.empty() ? std::nan("") : late.back(), release_rss, peak, exit_code);
}

int run(const Args& args) {
    const Stack stack = stack_from_env();
    const LogDir dir(args.keep_logs);
    std::cout << fmt::format("kt-delayer bench: {} envelopes, {} partitions, {} cores\n",
                             args.envelopes, args.partitions, std::thread::hardware_concurrency());
    if (!args.skip_throughput) run_throughput(args, stack, dir);
    if (!args.skip_backlog) run_backlog(args, stack, dir);
    return 0;
}

}  // namespace
}  // namespace kt::bench

int main(int argc, char** argv) {
    return kt::bench::bench_main(
        argc, argv, "delayer_bench",
        "delayer_bench: kt-delayer throughput, memory and lateness on the dev stack",
        kt::bench::run);
}
