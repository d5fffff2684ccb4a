#include "lib/metrics/process.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

namespace kt::metrics {

namespace procfs {
namespace {

std::optional<double> to_number(std::string_view text) {
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

/// The whitespace-separated fields of `text`.
std::vector<std::string_view> fields(std::string_view text) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t')) ++i;
        const std::size_t start = i;
        while (i < text.size() && text[i] != ' ' && text[i] != '\n' && text[i] != '\t') ++i;
        if (i > start) out.push_back(text.substr(start, i - start));
    }
    return out;
}

}  // namespace

std::optional<double> resident_bytes(std::string_view statm, long page_size) {
    const auto f = fields(statm);
    if (f.size() < 2 || page_size <= 0) return std::nullopt;
    const auto pages = to_number(f[1]);
    if (!pages) return std::nullopt;
    return *pages * static_cast<double>(page_size);
}

std::optional<double> boot_time(std::string_view proc_stat) {
    std::size_t pos = 0;
    while (pos < proc_stat.size()) {
        const std::size_t end = std::min(proc_stat.find('\n', pos), proc_stat.size());
        const std::string_view line = proc_stat.substr(pos, end - pos);
        if (line.starts_with("btime ")) {
            const auto f = fields(line);
            return f.size() == 2 ? to_number(f[1]) : std::nullopt;
        }
        pos = end + 1;
    }
    return std::nullopt;
}

std::optional<double> start_time(std::string_view self_stat, double boot, long ticks_per_second) {
    // "pid (comm) state ppid ...": fields after the last ')' start at field 3.
    const auto close = self_stat.rfind(')');
    if (close == std::string_view::npos || ticks_per_second <= 0) return std::nullopt;
    const auto f = fields(self_stat.substr(close + 1));
    constexpr std::size_t kStartTimeField = 22;
    constexpr std::size_t kFirstAfterComm = 3;
    if (f.size() <= kStartTimeField - kFirstAfterComm) return std::nullopt;
    const auto ticks = to_number(f[kStartTimeField - kFirstAfterComm]);
    if (!ticks) return std::nullopt;
    return boot + *ticks / static_cast<double>(ticks_per_second);
}

}  // namespace procfs

namespace {

std::string read_file(const char* path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::pair<Labels, double>> one(std::optional<double> value) {
    if (!value) return {};
    return {{Labels{}, *value}};
}

}  // namespace

void register_process_metrics(Registry& registry, std::string_view version) {
    registry.counter_callback(
        "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", [] {
            rusage usage{};
            if (getrusage(RUSAGE_SELF, &usage) != 0) return one({});
            const auto seconds = [](const timeval& t) {
                return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
            };
            return one(seconds(usage.ru_utime) + seconds(usage.ru_stime));
        });
    registry.gauge_callback("process_resident_memory_bytes", "Resident memory size in bytes.", [] {
        return one(procfs::resident_bytes(read_file("/proc/self/statm"), sysconf(_SC_PAGESIZE)));
    });
    registry.gauge_callback("process_open_fds", "Number of open file descriptors.", [] {
        std::error_code error;
        double count = 0;
        for (std::filesystem::directory_iterator it("/proc/self/fd", error), end;
             !error && it != end; it.increment(error)) {
            ++count;
        }
        return error ? one({}) : one(count);
    });
    registry.gauge_callback("process_max_fds", "Maximum number of open file descriptors.", [] {
        rlimit limit{};
        if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return one({});
        return one(static_cast<double>(limit.rlim_cur));
    });
    // The start time does not change: read once.
    if (const auto boot = procfs::boot_time(read_file("/proc/stat"))) {
        if (const auto start =
                procfs::start_time(read_file("/proc/self/stat"), *boot, sysconf(_SC_CLK_TCK))) {
            registry
                .gauge("process_start_time_seconds",
                       "Start time of the process since unix epoch in seconds.")
                .set(*start);
        }
    }
    registry
        .gauge("kt_build_info", "kt's version; the value is always 1",
               {{"version", std::string(version)}})
        .set(1);
}

}  // namespace kt::metrics
