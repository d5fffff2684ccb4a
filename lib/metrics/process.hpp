#pragma once

#include <optional>
#include <string_view>

#include "lib/metrics/registry.hpp"

namespace kt::metrics {

/// Registers the process metrics every Prometheus client library exports (what dashboards and
/// alerts written for any service expect) and `kt_build_info{version}` = 1:
/// process_cpu_seconds_total, process_resident_memory_bytes, process_start_time_seconds,
/// process_open_fds, process_max_fds. Read from /proc and getrusage at scrape time; a value
/// that cannot be read is left out, never a scrape error.
void register_process_metrics(Registry& registry, std::string_view version);

/// Pure parsers of the /proc files behind them, tested without I/O.
namespace procfs {

/// Resident bytes from /proc/self/statm (its second field, in pages).
[[nodiscard]] std::optional<double> resident_bytes(std::string_view statm, long page_size);
/// Boot time in unix seconds from /proc/stat (its `btime` line).
[[nodiscard]] std::optional<double> boot_time(std::string_view proc_stat);
/// Process start in unix seconds from /proc/self/stat (field 22, clock ticks after boot; the
/// command name in field 2 may hold spaces and parentheses) and the boot time.
[[nodiscard]] std::optional<double> start_time(std::string_view self_stat, double boot_time,
                                               long ticks_per_second);

}  // namespace procfs

}  // namespace kt::metrics
