#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kt::http {

/// Offset value of a status report meaning "not known" (no commit yet, no watermark yet).
inline constexpr std::int64_t kUnknownOffset = -1;

/// One partition of a consumer group's topic, as the status page and `kt status` show it.
struct PartitionStatus {
    std::int32_t partition = 0;
    std::int64_t committed = kUnknownOffset;  ///< next offset to read, as committed
    std::int64_t end = kUnknownOffset;        ///< high watermark (next offset to be written)
    std::int64_t lag = kUnknownOffset;        ///< messages not yet committed
    double rate = 0;                          ///< messages committed per second, recently

    bool operator==(const PartitionStatus&) const = default;
};

/// One consumer group: a configured indexer, delayer or cascader entry.
struct GroupStatus {
    std::string worker;  ///< `indexer`, `delayer` or `cascader`
    std::string name;    ///< the entry's name in the config
    std::string group;   ///< the Kafka consumer group
    std::string topic;   ///< the topic it consumes
    std::string dead_letter_topic;
    /// Dead letters: sent since start (a worker), or on the dead-letter topic (`kt status`).
    std::optional<std::int64_t> dead_letters;
    std::string last_error;               ///< empty when none
    std::optional<double> last_error_at;  ///< unix seconds
    /// Delayer: envelopes on the delay topic not yet released and committed.
    std::optional<std::int64_t> held;
    /// Delayer: seconds until the earliest envelope read falls due (0 when one is due).
    std::optional<double> next_release_in;
    /// Why the partitions could not be read (e.g. the topic does not exist); empty when fine.
    std::string problem;
    std::vector<PartitionStatus> partitions;

    /// Sum of the known partition lags.
    [[nodiscard]] std::int64_t total_lag() const noexcept;
    /// Sum of the partition rates.
    [[nodiscard]] double total_rate() const noexcept;

    bool operator==(const GroupStatus&) const = default;
};

/// What `/status.json` serves: every group a worker process (or `kt status`) knows.
struct StatusReport {
    std::string source;       ///< e.g. `kt-indexer`, `kt status`
    double generated_at = 0;  ///< unix seconds
    std::vector<GroupStatus> groups;

    bool operator==(const StatusReport&) const = default;
};

/// The JSON document of `/status.json`.
[[nodiscard]] std::string to_json(const StatusReport& report);
/// Reads a `/status.json` document; throws kt::Error naming the field that is wrong.
[[nodiscard]] StatusReport parse_status_report(std::string_view json);

/// Messages of a partition not yet committed: `end - committed`, or `end - low` when the group
/// committed nothing (it starts from the earliest offset); never negative; kUnknownOffset when
/// `end` is unknown.
[[nodiscard]] std::int64_t consumer_lag(std::int64_t committed, std::int64_t low,
                                        std::int64_t end) noexcept;

/// Messages per second between two committed offsets `seconds` apart; 0 when either is
/// unknown, the offset went back (a reset) or `seconds` is not positive.
[[nodiscard]] double rate_between(std::int64_t before, std::int64_t after, double seconds) noexcept;

/// Copies what only a running worker knows (its last error, the delayer's next release) from
/// `live` into the groups of `report` with the same consumer group; when several workers serve
/// one group, the most recent error wins. Returns how many groups matched.
std::size_t merge_live(StatusReport& report, const StatusReport& live);

/// Messages per second over a sliding window, from counts added as they are committed. Pure
/// (time is passed in); not thread-safe.
class RateMeter {
public:
    using Clock = std::chrono::steady_clock;

    /// Starts counting at `start` with nothing counted.
    explicit RateMeter(Clock::time_point start, Clock::duration window = std::chrono::seconds(10));

    /// Counts `n` messages done at `now` (times never go back).
    void add(Clock::time_point now, std::int64_t n);
    /// Messages per second over the window ending at `now`: the count added in it divided by
    /// the window, or by the time since start (at least one second) while younger than it.
    [[nodiscard]] double per_second(Clock::time_point now) const;

private:
    Clock::duration window_;
    std::int64_t total_ = 0;
    /// (time, total at that time); the front is the last sample at or before the window start.
    std::deque<std::pair<Clock::time_point, std::int64_t>> samples_;
};

}  // namespace kt::http
