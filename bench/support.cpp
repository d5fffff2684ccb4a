#include "bench/support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "lib/error.hpp"
#include "lib/kafka/admin.hpp"
#include "lib/kafka/options.hpp"
#include "lib/kafka/producer.hpp"
#include "lib/log/log.hpp"

extern char** environ;

namespace kt::bench {

namespace {

std::string require_env(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        throw Error(fmt::format("{} is not set: start the stack (scripts/bench.sh does)", name));
    }
    return value;
}

double seconds_of(const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

}  // namespace

Stack stack_from_env() {
    const auto or_default = [](const char* name, const char* fallback) {
        const char* value = std::getenv(name);
        return std::string(value != nullptr && *value != '\0' ? value : fallback);
    };
    return Stack{require_env("KT_TEST_POSTGRES_URL"),
                 require_env("KT_TEST_KAFKA_BROKERS"),
                 require_env("KT_TEST_DEVBROKER_CONTROL"),
                 require_env("KT_TEST_ES_URL"),
                 or_default("KT_TEST_STACK_KAFKA", "devbroker"),
                 or_default("KT_TEST_STACK_SEARCH", "standin")};
}

std::string unique_suffix() {
    std::random_device rd;
    return fmt::format("{}_{:06x}", ::getpid(), rd() & 0xffffffU);
}

double seconds_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

double own_cpu_seconds() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return seconds_of(usage.ru_utime) + seconds_of(usage.ru_stime);
}

namespace {

/// The fields of /proc/<pid>/stat after the command name: [0] is field 3 (state); nullopt when
/// the process is gone.
std::optional<std::vector<std::string>> stat_fields(pid_t pid) {
    std::ifstream in(fmt::format("/proc/{}/stat", pid));
    std::string text;
    if (!std::getline(in, text)) return std::nullopt;
    const auto close = text.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream stream(text.substr(close + 2));
    std::vector<std::string> fields;
    for (std::string field; stream >> field;) fields.push_back(field);
    return fields;
}

}  // namespace

std::optional<double> process_cpu_seconds(pid_t pid) {
    // utime is field 14, stime 15.
    const auto fields = stat_fields(pid);
    if (!fields || fields->size() < 13) return std::nullopt;
    const std::uint64_t ticks = std::stoull((*fields)[11]) + std::stoull((*fields)[12]);
    return static_cast<double>(ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::optional<pid_t> process_parent(pid_t pid) {
    // ppid is field 4.
    const auto fields = stat_fields(pid);
    if (!fields || fields->size() < 2) return std::nullopt;
    return static_cast<pid_t>(std::stol((*fields)[1]));
}

std::optional<std::int64_t> process_peak_rss_bytes(pid_t pid) {
    std::ifstream in(fmt::format("/proc/{}/status", pid));
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("VmHWM:")) return std::stoll(line.substr(6)) * 1024;
    }
    return std::nullopt;
}

ScratchDir::ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "kt-bench.XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw Error("cannot create a scratch folder");
    path_ = pattern;
}

ScratchDir::~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::string& log_path) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    std::vector<char*> raw;
    raw.reserve(argv.size() + 1);
    for (const auto& a : argv) raw.push_back(const_cast<char*>(a.c_str()));
    raw.push_back(nullptr);
    const int rc = ::posix_spawnp(&pid_, raw[0], &actions, nullptr, raw.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw Error(fmt::format("cannot start {}: {}", argv[0], std::strerror(rc)));
}

ChildProcess::~ChildProcess() {
    try {
        (void)stop(seconds(10));
    } catch (...) {
    }
}

bool ChildProcess::running() {
    if (reaped_) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        exit_status_ = status;
    }
    return !reaped_;
}

std::optional<double> ChildProcess::stop(milliseconds grace) {
    if (reaped_) return std::nullopt;
    ::kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + grace;
    rusage usage{};
    int status = 0;
    while (true) {
        const pid_t r = ::wait4(pid_, &status, WNOHANG, &usage);
        if (r == pid_) break;
        if (r < 0) {
            reaped_ = true;
            return std::nullopt;
        }
        if (Clock::now() > deadline) {
            ::kill(pid_, SIGKILL);
            ::wait4(pid_, &status, 0, &usage);
            break;
        }
        std::this_thread::sleep_for(milliseconds(20));  // polling a child's exit
    }
    reaped_ = true;
    exit_status_ = status;
    return seconds_of(usage.ru_utime) + seconds_of(usage.ru_stime);
}

int free_port() {
    struct Socket {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        ~Socket() {
            if (fd >= 0) ::close(fd);
        }
    } probe;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    if (probe.fd < 0 ||
        ::bind(probe.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(probe.fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        throw Error("no free port");
    }
    return ntohs(address.sin_port);
}

void create_topic(const Stack& stack, const std::string& topic, int partitions) {
    if (stack.kafka_kind == "kafka") {
        kafka::Options options;
        options.brokers = stack.brokers;
        kafka::Admin(options).create_topic(topic, partitions, {}, seconds(30));
        return;
    }
    httplib::Client client(stack.control_url);
    client.set_connection_timeout(seconds(5));
    const std::string body = fmt::format(R"({{"name":"{}","partitions":{}}})", topic, partitions);
    const auto res = client.Post("/topics", body, "application/json");
    if (!res || res->status != 201) {
        throw Error(fmt::format("creating topic {} failed: {}", topic,
                                res ? res->body : httplib::to_string(res.error())));
    }
}

void produce_ids(const Stack& stack, const std::string& topic, int rows) {
    kafka::Options options;
    options.brokers = stack.brokers;
    options.properties["linger.ms"] = "20";
    kafka::Producer producer(options);
    for (int id = 1; id <= rows; ++id) {
        const std::string key = std::to_string(id);
        const std::string value = fmt::format(R"({{"id":{}}})", id);
        producer.produce(topic, key, value);
    }
    const auto flushed = producer.flush(seconds(120));
    if (!flushed.ok() || flushed.delivered != static_cast<std::uint64_t>(rows)) {
        throw Error(fmt::format("produced {} of {} messages to {}: {}", flushed.delivered, rows,
                                topic, kafka::error_description(flushed.first_error)));
    }
}

std::int64_t topic_end(const Stack& stack, const std::string& topic, int partitions) {
    kafka::Options options;
    options.brokers = stack.brokers;
    kafka::Admin admin(options);
    std::int64_t total = 0;
    for (int p = 0; p < partitions; ++p) {
        total += admin.query_watermarks(topic, p, seconds(10)).high;
    }
    return total;
}

void print_row(const std::string& what, const std::string& measured, const std::string& cpu,
               const std::string& target) {
    fmt::print("{:<44} {:>14} {:>16} {:>14}\n", what, measured, cpu, target);
}

Figures measure_here(const std::function<std::int64_t()>& work) {
    const double cpu = own_cpu_seconds();
    const auto started = Clock::now();
    Figures f;
    f.count = work();
    f.seconds = seconds_between(started, Clock::now());
    f.cpu_seconds = own_cpu_seconds() - cpu;
    return f;
}

void print_load_average_after() {
    fmt::print("load average after: {}\n", load_average());
}

void configure_logging() {
    log::configure(log::Format::kText, log::Level::kWarn);
}

std::string load_average() {
    std::ifstream in("/proc/loadavg");
    std::string a;
    std::string b;
    std::string c;
    in >> a >> b >> c;
    return fmt::format("{} {} {}", a, b, c);
}

}  // namespace kt::bench
