#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>

#include "lib/pg/pgoutput.hpp"

namespace kt::workers::capture {

/// Which WAL position kt-capture may report to PostgreSQL as flushed: the end of the last
/// transaction whose messages, and every earlier transaction's, Kafka acknowledged. What lies
/// beyond is replayed by the slot after a crash, so a SIGKILL at any moment loses nothing
/// (duplicates are fine). Pure: the loop tells it what happened.
class ConfirmTracker {
public:
    using Lsn = pg::pgoutput::Lsn;

    /// Starts from the slot's position (nothing is confirmed below it).
    explicit ConfirmTracker(Lsn start = {}) : confirmed_(start) {}

    /// A transaction's Begin.
    void begin() noexcept { in_transaction_ = true; }
    /// A message of the current transaction was queued for Kafka; returns its delivery tag.
    [[nodiscard]] std::uint64_t queued();
    /// Kafka acknowledged the message `tag` (a tag from before the last reset() is ignored).
    void acknowledged(std::uint64_t tag);
    /// Whether `tag` was queued since the last reset().
    [[nodiscard]] bool current(std::uint64_t tag) const noexcept { return tag >= epoch_start_; }
    /// The current transaction's Commit: it ends at `end_lsn`; `commit_time` is the server's
    /// commit timestamp (microseconds since 2000-01-01 UTC, as pgoutput sends it).
    void committed(Lsn end_lsn, std::int64_t commit_time = 0);
    /// The server has sent everything before `lsn` (a keepalive): with nothing pending, that
    /// position is confirmed too, so the slot moves while the watched tables are idle.
    void sent_up_to(Lsn lsn);
    /// A new session: what was pending will be sent again by the server; `confirmed()` stays.
    void reset();

    /// The position to report as flushed.
    [[nodiscard]] Lsn confirmed() const noexcept { return confirmed_; }
    /// Messages queued and not yet acknowledged.
    [[nodiscard]] std::size_t unacknowledged() const noexcept { return unacked_; }
    /// Transactions committed but not yet confirmable.
    [[nodiscard]] std::size_t waiting_transactions() const noexcept { return commits_.size(); }
    /// The commit time of the newest transaction confirmed since the last call (its messages,
    /// and every earlier one's, are acknowledged); nullopt when none was.
    [[nodiscard]] std::optional<std::int64_t> take_confirmed_commit_time();

private:
    struct Commit {
        Lsn end;
        std::uint64_t last_tag;  ///< the highest tag queued up to this commit
        std::int64_t commit_time;
    };
    void advance();

    Lsn confirmed_;
    bool in_transaction_ = false;
    std::uint64_t next_tag_ = 1;
    std::uint64_t epoch_start_ = 1;  ///< tags below belong to an earlier session
    /// Whether Kafka acknowledged each tag from `first_open_` on (tags are queued in order and
    /// acknowledged mostly in order: the front is dropped as soon as it is acknowledged, so the
    /// front is always the lowest tag still unacknowledged).
    std::deque<bool> acked_;
    std::uint64_t first_open_ = 1;
    std::size_t unacked_ = 0;
    std::deque<Commit> commits_;
    std::optional<std::int64_t> newly_confirmed_;
};

/// What the loop knows when it may send a standby status update.
struct StatusMoment {
    std::chrono::milliseconds since_last{0};  ///< since the last update sent
    bool moved = false;          ///< the confirmed position moved since then
    bool idle = false;           ///< nothing queued or waiting: the position may follow the server
    bool server_asked = false;   ///< the server's keepalive asked for a reply
    std::chrono::milliseconds heartbeat{10000};  ///< capture.heartbeat
};

/// Whether to send a standby status update now, and whether to ask for a keepalive back.
struct StatusUpdate {
    bool send = false;
    bool ask_reply = false;
};

/// How often a moved position is reported while changes flow.
inline constexpr std::chrono::milliseconds kReportEvery{1000};
/// How often an idle stream asks the server for its position (and confirms the last one it
/// gave): other tables' WAL then never piles up in the slot for more than this long.
inline constexpr std::chrono::milliseconds kIdleFollow{100};

/// The status update plan: when the server asks; a moved position at most every kReportEvery;
/// every heartbeat, asking for a keepalive back; and, when idle, every kIdleFollow, asking for
/// the server's position too, so that the slot follows WAL other tables write. Pure.
[[nodiscard]] StatusUpdate status_update(const StatusMoment& moment) noexcept;

/// kt_capture_lag_seconds: from a transaction's commit on the server (`commit_time`, pgoutput's
/// microseconds since 2000-01-01 UTC) to `now` (the same clock), when Kafka acknowledged its
/// last message; never negative (the clocks of two hosts may disagree a little).
[[nodiscard]] double capture_lag_seconds(std::int64_t commit_time, std::int64_t now) noexcept;

}  // namespace kt::workers::capture
