#include "workers/capture/confirm.hpp"

namespace kt::workers::capture {

std::uint64_t ConfirmTracker::queued() {
    const std::uint64_t tag = next_tag_++;
    unacked_.insert(tag);
    return tag;
}

void ConfirmTracker::acknowledged(std::uint64_t tag) {
    if (tag < epoch_start_) return;
    unacked_.erase(tag);
    advance();
}

void ConfirmTracker::committed(Lsn end_lsn) {
    in_transaction_ = false;
    commits_.push_back({end_lsn, next_tag_ - 1});
    advance();
}

void ConfirmTracker::sent_up_to(Lsn lsn) {
    if (in_transaction_ || !commits_.empty() || !unacked_.empty()) return;
    if (lsn > confirmed_) confirmed_ = lsn;
}

void ConfirmTracker::reset() {
    in_transaction_ = false;
    unacked_.clear();
    commits_.clear();
    epoch_start_ = next_tag_;
}

void ConfirmTracker::advance() {
    while (!commits_.empty() &&
           (unacked_.empty() || *unacked_.begin() > commits_.front().last_tag)) {
        if (commits_.front().end > confirmed_) confirmed_ = commits_.front().end;
        commits_.pop_front();
    }
}

}  // namespace kt::workers::capture
