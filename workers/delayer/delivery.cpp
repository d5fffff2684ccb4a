#include "workers/delayer/delivery.hpp"

#include <algorithm>
#include <utility>

namespace kt::workers {

DeliveryBatch::DeliveryBatch(std::span<const ReadyEntry> ready, bool forward, Describe describe)
    : describe_(std::move(describe)) {
    outs_.reserve(ready.size() * (forward ? 2 : 1));
    for (std::size_t i = 0; i < ready.size(); ++i) {
        const WindowEntry& e = ready[i].entry;
        if (e.dead()) {
            outs_.push_back(
                {i, Outgoing::Kind::kDead, Outgoing::State::kUnsent, false, e.dead_reason});
            continue;
        }
        outs_.push_back({i, Outgoing::Kind::kRelease, Outgoing::State::kUnsent, false, {}});
        if (forward) {
            outs_.push_back({i, Outgoing::Kind::kForward, Outgoing::State::kUnsent, false, {}});
        }
    }
    delivered_.assign(outs_.size(), false);
    errors_.assign(outs_.size(), kNoDeliveryError);
}

void DeliveryBatch::sent(std::size_t j) {
    outs_[j].state = Outgoing::State::kInFlight;
}

bool DeliveryBatch::refused(std::size_t j, DeliveryError error) {
    if (outs_[j].kind == Outgoing::Kind::kDead || !is_permanent_delivery_error(error)) {
        return false;
    }
    give_up(j, error);
    return true;
}

void DeliveryBatch::report(std::size_t j, DeliveryError error) {
    if (j >= delivered_.size()) return;
    if (error == kNoDeliveryError) {
        delivered_[j] = true;
    } else {
        errors_[j] = error;
    }
}

void DeliveryBatch::resend_in_flight() {
    for (auto& out : outs_) {
        if (out.state == Outgoing::State::kInFlight) out.state = Outgoing::State::kUnsent;
    }
}

DeliveryError DeliveryBatch::settle() {
    DeliveryError first = kNoDeliveryError;
    for (std::size_t j = 0; j < outs_.size(); ++j) {
        if (outs_[j].state != Outgoing::State::kInFlight) continue;
        if (delivered_[j]) {
            outs_[j].state = Outgoing::State::kDone;
        } else if (const DeliveryError error = errors_[j]; error != kNoDeliveryError) {
            errors_[j] = kNoDeliveryError;
            if (outs_[j].kind != Outgoing::Kind::kDead && is_permanent_delivery_error(error)) {
                give_up(j, error);
            } else {
                outs_[j].state = Outgoing::State::kUnsent;
                if (first == kNoDeliveryError) first = error;
            }
        }
    }
    return first;
}

void DeliveryBatch::drop(std::span<const ReadyEntry> ready,
                         const std::set<std::int32_t>& revoked) {
    if (revoked.empty()) return;
    for (auto& out : outs_) {
        if (out.state == Outgoing::State::kDone || revoked.count(ready[out.entry].partition) == 0) {
            continue;
        }
        out.state = Outgoing::State::kDone;
        out.dropped = true;
    }
}

bool DeliveryBatch::awaited() const {
    for (std::size_t j = 0; j < outs_.size(); ++j) {
        if (outs_[j].state == Outgoing::State::kInFlight && !delivered_[j] &&
            errors_[j] == kNoDeliveryError) {
            return true;
        }
    }
    return false;
}

bool DeliveryBatch::done() const {
    return std::all_of(outs_.begin(), outs_.end(),
                       [](const Outgoing& o) { return o.state == Outgoing::State::kDone; });
}

void DeliveryBatch::give_up(std::size_t j, DeliveryError error) {
    Outgoing& out = outs_[j];
    out.state = Outgoing::State::kDone;
    out.failed = true;
    std::string reason = describe_(out, error);
    outs_.push_back(
        {out.entry, Outgoing::Kind::kDead, Outgoing::State::kUnsent, false, std::move(reason)});
    delivered_.push_back(false);
    errors_.push_back(kNoDeliveryError);
}

}  // namespace kt::workers
