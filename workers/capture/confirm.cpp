#include "workers/capture/confirm.hpp"

namespace kt::workers::capture {

std::uint64_t ConfirmTracker::queued() {
    const std::uint64_t tag = next_tag_++;
    acked_.push_back(false);
    ++unacked_;
    return tag;
}

void ConfirmTracker::acknowledged(std::uint64_t tag) {
    if (tag < epoch_start_ || tag < first_open_) return;
    const auto at = static_cast<std::size_t>(tag - first_open_);
    if (at >= acked_.size() || acked_[at]) return;
    acked_[at] = true;
    --unacked_;
    while (!acked_.empty() && acked_.front()) {
        acked_.pop_front();
        ++first_open_;
    }
    advance();
}

void ConfirmTracker::committed(Lsn end_lsn, std::int64_t commit_time) {
    in_transaction_ = false;
    commits_.push_back({end_lsn, next_tag_ - 1, commit_time});
    advance();
}

void ConfirmTracker::sent_up_to(Lsn lsn) {
    if (in_transaction_ || !commits_.empty() || unacked_ > 0) return;
    if (lsn > confirmed_) confirmed_ = lsn;
}

void ConfirmTracker::reset() {
    in_transaction_ = false;
    acked_.clear();
    unacked_ = 0;
    commits_.clear();
    epoch_start_ = next_tag_;
    first_open_ = next_tag_;
}

void ConfirmTracker::advance() {
    while (!commits_.empty() &&
           (unacked_ == 0 || first_open_ > commits_.front().last_tag)) {
        if (commits_.front().end > confirmed_) confirmed_ = commits_.front().end;
        newly_confirmed_ = commits_.front().commit_time;
        commits_.pop_front();
    }
}

std::optional<std::int64_t> ConfirmTracker::take_confirmed_commit_time() {
    std::optional<std::int64_t> out;
    out.swap(newly_confirmed_);
    return out;
}

StatusUpdate status_update(const StatusMoment& m) noexcept {
    const bool heartbeat = m.since_last >= m.heartbeat;
    const bool follow = m.idle && m.since_last >= kIdleFollow;
    StatusUpdate out;
    out.send = m.server_asked || heartbeat || follow || (m.moved && m.since_last >= kReportEvery);
    // A reply to the server's request asks for nothing more (it would answer at once, again).
    out.ask_reply = out.send && !m.server_asked && (heartbeat || follow);
    return out;
}

double capture_lag_seconds(std::int64_t commit_time, std::int64_t now) noexcept {
    return now > commit_time ? static_cast<double>(now - commit_time) / 1e6 : 0.0;
}

}  // namespace kt::workers::capture
