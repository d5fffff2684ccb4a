#pragma once

#include <cstdint>
#include <deque>

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
    /// The current transaction's Commit: it ends at `end_lsn`.
    void committed(Lsn end_lsn);
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

private:
    struct Commit {
        Lsn end;
        std::uint64_t last_tag;  ///< the highest tag queued up to this commit
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
};

}  // namespace kt::workers::capture
