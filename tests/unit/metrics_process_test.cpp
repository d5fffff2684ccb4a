#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <regex>
#include <string>

#include "lib/metrics/process.hpp"
#include "lib/metrics/registry.hpp"

namespace kt::metrics {
namespace {

using ::testing::HasSubstr;

TEST(ProcessMetricsProcfs, ResidentBytesAreTheSecondStatmFieldInPages) {
    EXPECT_EQ(procfs::resident_bytes("2500 1200 300 10 0 900 0\n", 4096), 1200.0 * 4096);
    EXPECT_EQ(procfs::resident_bytes("2500", 4096), std::nullopt);
    EXPECT_EQ(procfs::resident_bytes("2500 x", 4096), std::nullopt);
    EXPECT_EQ(procfs::resident_bytes("", 4096), std::nullopt);
}

TEST(ProcessMetricsProcfs, BootTimeIsTheBtimeLine) {
    EXPECT_EQ(procfs::boot_time("cpu  1 2 3\nintr 5\nbtime 1764662400\nprocesses 9\n"),
              1764662400.0);
    EXPECT_EQ(procfs::boot_time("cpu  1 2 3\nbtimex 1\n"), std::nullopt);
    EXPECT_EQ(procfs::boot_time("btime\n"), std::nullopt);
}

TEST(ProcessMetricsProcfs, StartTimeIsField22InTicksAfterBootWhateverTheCommandName) {
    // Fields 3..22: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime
    // stime cutime cstime priority nice threads itrealvalue starttime.
    const std::string after = " S 1 2 3 0 -1 4194560 100 0 0 0 5 6 0 0 20 0 4 0 250 1000 300\n";
    EXPECT_EQ(procfs::start_time("4242 (kt-indexer)" + after, 1000.0, 100), 1002.5);
    // A command name may hold spaces and parentheses: fields count after the last ')'.
    EXPECT_EQ(procfs::start_time("4242 (a) b (c d)" + after, 1000.0, 100), 1002.5);
    EXPECT_EQ(procfs::start_time("4242 (kt) S 1 2 3", 1000.0, 100), std::nullopt);
    EXPECT_EQ(procfs::start_time("no parenthesis", 1000.0, 100), std::nullopt);
    EXPECT_EQ(procfs::start_time("4242 (kt-indexer)" + after, 1000.0, 0), std::nullopt);
}

/// The value of the unlabelled sample `name` in `text`, nullopt when absent.
std::optional<double> sample(const std::string& text, const std::string& name) {
    const std::regex line("(^|\n)" + name + " ([0-9.e+-]+)\n");
    std::smatch m;
    if (!std::regex_search(text, m, line)) return std::nullopt;
    return std::stod(m[2].str());
}

TEST(ProcessMetrics, ThisProcessHasPlausibleValues) {
    Registry registry;
    register_process_metrics(registry, "1.2.3");
    const std::string text = registry.render();
    EXPECT_THAT(text, HasSubstr("# TYPE process_cpu_seconds_total counter\n"));
    EXPECT_THAT(text, HasSubstr("kt_build_info{version=\"1.2.3\"} 1\n"));

    const auto cpu = sample(text, "process_cpu_seconds_total");
    ASSERT_TRUE(cpu.has_value()) << text;
    EXPECT_GE(*cpu, 0.0);
    const auto rss = sample(text, "process_resident_memory_bytes");
    ASSERT_TRUE(rss.has_value()) << text;
    EXPECT_GT(*rss, 1024.0 * 1024.0);  // a test binary with its libraries loaded
    const auto fds = sample(text, "process_open_fds");
    ASSERT_TRUE(fds.has_value()) << text;
    EXPECT_GE(*fds, 3.0);  // stdin, stdout, stderr
    const auto max_fds = sample(text, "process_max_fds");
    ASSERT_TRUE(max_fds.has_value()) << text;
    EXPECT_GE(*max_fds, *fds);

    const auto start = sample(text, "process_start_time_seconds");
    ASSERT_TRUE(start.has_value()) << text;
    const double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    EXPECT_LE(*start, now + 1.0);
    EXPECT_GT(*start, now - 24 * 3600.0);  // the test binary started within the day
}

}  // namespace
}  // namespace kt::metrics
