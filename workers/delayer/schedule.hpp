#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "lib/kafka/error.hpp"

namespace kt::workers {

/// Envelopes carry unix times, so due times are wall-clock times.
using WallClock = std::chrono::system_clock;
using WallTime = WallClock::time_point;

/// When an envelope falls due.
struct DueTime {
    WallTime due;
    /// True when `created_at` lay after `first_seen` (the producer's clock runs ahead): the
    /// due time was clamped to `first_seen + delay`.
    bool from_future = false;
};

/// Due time of an envelope: `created_at + delay`; without `created_at`, the Kafka message
/// timestamp (ms since the epoch) + delay; without either, `first_seen + delay`. Never later
/// than `first_seen + delay`: an envelope from a clock that runs ahead is held at most `delay`
/// from when the delayer first saw it.
[[nodiscard]] DueTime due_time(std::optional<double> created_at,
                               std::optional<std::int64_t> timestamp_ms,
                               std::chrono::milliseconds delay, WallTime first_seen);

/// One consumed message waiting in its partition's window: an envelope to release once due,
/// or a poison message to dead-letter once it reaches the front (offset order is kept).
struct WindowEntry {
    std::int64_t offset = 0;
    WallTime due{};     ///< poison messages: WallTime::min(), due as soon as they are at the front
    std::string value;  ///< the message value as consumed
    std::optional<std::string> key;
    std::size_t payload_pos = 0;  ///< the payload object is value.substr(payload_pos, payload_len)
    std::size_t payload_len = 0;
    std::string id;           ///< the payload's id: the key of the released message
    std::string topic;        ///< where the payload goes
    std::string dead_reason;  ///< non-empty for a poison message

    /// True for a poison message.
    [[nodiscard]] bool dead() const noexcept { return !dead_reason.empty(); }
    /// Approximate memory held, for the window's byte limit.
    [[nodiscard]] std::size_t bytes() const noexcept;
};

/// A window entry taken out because it is due, with its partition.
struct ReadyEntry {
    std::int32_t partition = 0;
    WindowEntry entry;
};

/// How much one partition's window may hold before the partition is paused.
struct WindowLimits {
    std::size_t max_entries = 1000;
    std::size_t max_bytes = 256 * 1024;
};

/// A partition to pause, with the offset to fetch from once it is resumed.
struct PauseAt {
    std::int32_t partition = 0;
    std::int64_t offset = 0;

    bool operator==(const PauseAt&) const = default;
};

/// Consumer changes the loop must apply after an intake.
struct FlowPlan {
    std::vector<PauseAt> pause;        ///< pause, then seek to the offset
    std::vector<std::int32_t> resume;  ///< resume (the position was set when pausing)

    [[nodiscard]] bool empty() const noexcept { return pause.empty() && resume.empty(); }
};

/// Consumer changes that end a hold (Schedule::pause_all).
struct ResumePlan {
    std::vector<PauseAt> seek;         ///< seek first (still paused): read again from the offset
    std::vector<std::int32_t> resume;  ///< then resume

    [[nodiscard]] bool empty() const noexcept { return seek.empty() && resume.empty(); }
};

/// The per-partition windows of one delayer: which consumed messages to take, when each is
/// due, which partitions to pause and resume. Pure: no I/O, no clock (`now` is passed in).
///
/// Each assigned partition keeps at most WindowLimits of consumed messages in offset order; a
/// partition whose window is full is paused (and later fetched again from the first message
/// it did not take), so memory is bounded by partitions x limits whatever the backlog.
class Schedule {
public:
    explicit Schedule(WindowLimits limits = {});

    /// Starts tracking `partition` with an empty window; the first offset offered is taken.
    void assign(std::int32_t partition);
    /// Forgets `partition` and its window (its new owner reads them again).
    void revoke(std::int32_t partition);
    /// True while `partition` is assigned.
    [[nodiscard]] bool assigned(std::int32_t partition) const;

    /// True when a consumed message at `offset` of `partition` should be taken: the partition
    /// is assigned, not paused, its window has room, and the offset was not taken before.
    [[nodiscard]] bool admits(std::int32_t partition, std::int64_t offset) const;
    /// Appends an admitted message to its window, then moves the due fronts of that window
    /// (at `now`) to `ready`.
    void offer(std::int32_t partition, WindowEntry entry, WallTime now,
               std::vector<ReadyEntry>& ready);
    /// Moves due window fronts to `ready`, in offset order per partition, at most `max`.
    std::size_t take_due(WallTime now, std::vector<ReadyEntry>& ready, std::size_t max);
    /// Full windows to pause and drained paused windows (at most half full) to resume;
    /// records them as paused or resumed.
    FlowPlan plan_flow();

    /// Holds every assigned partition while a batch is retried, so that the loop keeps polling
    /// (group membership, rebalances) without taking anything: returns the partitions to pause,
    /// those not held yet and not already paused by plan_flow(). Partitions assigned later are
    /// returned by the next call.
    std::vector<std::int32_t> pause_all();
    /// A message polled while its partition is held, dropped: when its window would have taken
    /// it, resume_all() has the partition read again from the first such offset.
    void dropped(std::int32_t partition, std::int64_t offset);
    /// Ends the hold: the held partitions to seek back (where a message was dropped) and to
    /// resume. Revoked ones are forgotten.
    ResumePlan resume_all();

    /// Earliest due time among the window fronts; nullopt when every window is empty.
    [[nodiscard]] std::optional<WallTime> next_due() const;
    /// True when `partition`'s window front is not due at `now` (it waits legitimately).
    [[nodiscard]] bool holding(std::int32_t partition, WallTime now) const;
    /// Entries in all windows.
    [[nodiscard]] std::size_t held() const noexcept;
    /// Partitions currently paused by the plan.
    [[nodiscard]] std::size_t paused() const noexcept;

private:
    struct Window {
        std::deque<WindowEntry> entries;
        std::size_t bytes = 0;
        std::int64_t next_offset = -1;  ///< first offset not yet taken; -1 = take any
        bool paused = false;
        bool held = false;         ///< paused by pause_all() until resume_all()
        std::int64_t reread = -1;  ///< first offset dropped while held that it would take
    };

    [[nodiscard]] bool full(const Window& w) const noexcept;
    static void pop_due(std::int32_t partition, Window& w, WallTime now,
                        std::vector<ReadyEntry>& ready, std::size_t max);

    WindowLimits limits_;
    std::map<std::int32_t, Window> windows_;
    std::size_t rotate_ = 0;  ///< take_due starts at a different partition each time
};

/// How long the loop may wait for messages: until `next_due` (rounded up to whole
/// milliseconds), at most `max`, never negative.
[[nodiscard]] std::chrono::milliseconds poll_timeout(std::optional<WallTime> next_due, WallTime now,
                                                     std::chrono::milliseconds max);

/// True for a delivery error that retrying cannot fix for this one message (too large, topic
/// unknown or forbidden): the envelope becomes a dead letter instead.
[[nodiscard]] bool is_permanent_delivery_error(kafka::ErrorCode error) noexcept;

}  // namespace kt::workers
