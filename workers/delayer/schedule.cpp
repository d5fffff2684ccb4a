#include "workers/delayer/schedule.hpp"

#include <algorithm>
#include <cmath>

namespace kt::workers {

namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

/// `seconds` since the epoch as a wall time, rounded up to the microsecond (never early).
WallTime from_unix_seconds(double seconds) {
    const auto micros = static_cast<std::int64_t>(std::ceil(std::max(seconds, 0.0) * 1e6));
    return WallTime(std::chrono::duration_cast<WallClock::duration>(microseconds(micros)));
}

}  // namespace

DueTime due_time(std::optional<double> created_at, std::optional<std::int64_t> timestamp_ms,
                 milliseconds delay, WallTime first_seen) {
    const WallTime latest = first_seen + delay;
    std::optional<WallTime> created;
    if (created_at) {
        // Compare as doubles first: a huge created_at must not overflow the conversion.
        const double seen = std::chrono::duration<double>(first_seen.time_since_epoch()).count();
        if (*created_at > seen) return {latest, true};
        created = from_unix_seconds(*created_at);
    } else if (timestamp_ms && *timestamp_ms >= 0) {
        created =
            WallTime(std::chrono::duration_cast<WallClock::duration>(milliseconds(*timestamp_ms)));
    }
    if (!created) return {latest, false};
    if (*created > first_seen) return {latest, true};
    return {*created + delay, false};
}

std::size_t WindowEntry::bytes() const noexcept {
    return sizeof(WindowEntry) + value.size() + (key ? key->size() : 0) + id.size() + topic.size() +
           dead_reason.size();
}

Schedule::Schedule(WindowLimits limits) : limits_(limits) {}

void Schedule::assign(std::int32_t partition) {
    windows_[partition] = Window{};
}

void Schedule::revoke(std::int32_t partition) {
    windows_.erase(partition);
}

bool Schedule::assigned(std::int32_t partition) const {
    return windows_.count(partition) != 0;
}

bool Schedule::full(const Window& w) const noexcept {
    return w.entries.size() >= limits_.max_entries || w.bytes >= limits_.max_bytes;
}

bool Schedule::admits(std::int32_t partition, std::int64_t offset) const {
    const auto it = windows_.find(partition);
    if (it == windows_.end()) return false;
    const Window& w = it->second;
    if (w.paused || full(w)) return false;
    return w.next_offset < 0 || offset >= w.next_offset;
}

void Schedule::pop_due(std::int32_t partition, Window& w, WallTime now,
                       std::vector<ReadyEntry>& ready, std::size_t max) {
    std::size_t taken = 0;
    while (taken < max && !w.entries.empty() && w.entries.front().due <= now) {
        w.bytes -= w.entries.front().bytes();
        ready.push_back({partition, std::move(w.entries.front())});
        w.entries.pop_front();
        ++taken;
    }
}

void Schedule::offer(std::int32_t partition, WindowEntry entry, WallTime now,
                     std::vector<ReadyEntry>& ready) {
    const auto it = windows_.find(partition);
    if (it == windows_.end()) return;
    Window& w = it->second;
    w.next_offset = entry.offset + 1;
    w.bytes += entry.bytes();
    w.entries.push_back(std::move(entry));
    pop_due(partition, w, now, ready, w.entries.size());
}

std::size_t Schedule::take_due(WallTime now, std::vector<ReadyEntry>& ready, std::size_t max) {
    const std::size_t before = ready.size();
    if (windows_.empty()) return 0;
    const std::size_t start = rotate_++ % windows_.size();
    auto it = windows_.begin();
    std::advance(it, static_cast<std::ptrdiff_t>(start));
    for (std::size_t i = 0; i < windows_.size(); ++i, ++it) {
        if (it == windows_.end()) it = windows_.begin();
        const std::size_t taken = ready.size() - before;
        if (taken >= max) break;
        pop_due(it->first, it->second, now, ready, max - taken);
    }
    return ready.size() - before;
}

FlowPlan Schedule::plan_flow() {
    FlowPlan plan;
    for (auto& [partition, w] : windows_) {
        if (!w.paused && full(w)) {
            plan.pause.push_back({partition, w.next_offset});
            w.paused = true;
        } else if (w.paused && w.entries.size() <= limits_.max_entries / 2 &&
                   w.bytes <= limits_.max_bytes / 2) {
            plan.resume.push_back(partition);
            w.paused = false;
        }
    }
    return plan;
}

std::vector<std::int32_t> Schedule::pause_all() {
    std::vector<std::int32_t> out;
    for (auto& [partition, w] : windows_) {
        if (w.held || w.paused) continue;  // a full window is paused (and positioned) already
        w.held = true;
        out.push_back(partition);
    }
    return out;
}

void Schedule::dropped(std::int32_t partition, std::int64_t offset) {
    if (!admits(partition, offset)) return;
    Window& w = windows_.at(partition);
    if (w.reread < 0 || offset < w.reread) w.reread = offset;
}

ResumePlan Schedule::resume_all() {
    ResumePlan plan;
    for (auto& [partition, w] : windows_) {
        if (!w.held) continue;
        if (w.reread >= 0) plan.seek.push_back({partition, w.reread});
        plan.resume.push_back(partition);
        w.held = false;
        w.reread = -1;
    }
    return plan;
}

std::optional<WallTime> Schedule::next_due() const {
    std::optional<WallTime> earliest;
    for (const auto& [partition, w] : windows_) {
        if (w.entries.empty()) continue;
        const WallTime due = w.entries.front().due;
        if (!earliest || due < *earliest) earliest = due;
    }
    return earliest;
}

bool Schedule::holding(std::int32_t partition, WallTime now) const {
    const auto it = windows_.find(partition);
    return it != windows_.end() && !it->second.entries.empty() &&
           it->second.entries.front().due > now;
}

std::size_t Schedule::held() const noexcept {
    std::size_t n = 0;
    for (const auto& [partition, w] : windows_) n += w.entries.size();
    return n;
}

std::size_t Schedule::paused() const noexcept {
    return static_cast<std::size_t>(std::count_if(windows_.begin(), windows_.end(),
                                                  [](const auto& pw) { return pw.second.paused; }));
}

milliseconds poll_timeout(std::optional<WallTime> next_due, WallTime now, milliseconds max) {
    if (!next_due) return max;
    if (*next_due <= now) return milliseconds(0);
    const auto left = std::chrono::ceil<milliseconds>(*next_due - now);
    return std::min(left, max);
}

bool is_permanent_delivery_error(kafka::ErrorCode error) noexcept {
    return kafka::is_permanent_delivery_code(error);
}

}  // namespace kt::workers
