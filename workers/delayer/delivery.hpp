#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "workers/delayer/schedule.hpp"

namespace kt::workers {

/// The result of producing one message, as a delivery report or a refused produce() gives it.
using DeliveryError = kafka::ErrorCode;
/// No error: the message was acknowledged.
inline constexpr DeliveryError kNoDeliveryError = kafka::ErrorCode::kNoError;

/// One message a batch of due envelopes produces: a released payload, a forward to the next
/// stage, or a dead letter.
struct Outgoing {
    enum class Kind { kRelease, kForward, kDead };
    enum class State { kUnsent, kInFlight, kDone };

    std::size_t entry = 0;  ///< index into the batch's ready entries
    Kind kind = Kind::kRelease;
    State state = State::kUnsent;
    bool failed = false;   ///< done, but replaced by a dead letter
    std::string reason;    ///< dead letters: why
    bool dropped = false;  ///< done, abandoned: its partition was revoked meanwhile
};

/// The delivery state of one batch of due envelopes: which of its messages are still to send,
/// in flight, acknowledged, given up (replaced by a dead letter) or dropped. Pure: no I/O, no
/// clock; the loop produces what unsent() lists and feeds back what Kafka answered. Delivery
/// reports are recorded by report() and applied by settle(), so that what one flush brought is
/// judged at once.
class DeliveryBatch {
public:
    /// Why a release or forward became a dead letter: `error` refused `given_up` for good.
    using Describe = std::function<std::string(const Outgoing& given_up, DeliveryError error)>;

    /// One release per envelope of `ready` (and a forward when `forward`), one dead letter per
    /// poison message, in order.
    DeliveryBatch(std::span<const ReadyEntry> ready, bool forward, Describe describe);

    /// Every message of the batch so far, dead letters that replaced others last.
    [[nodiscard]] const std::vector<Outgoing>& outgoing() const noexcept { return outs_; }
    /// True when message `j` is still to be produced.
    [[nodiscard]] bool unsent(std::size_t j) const {
        return outs_[j].state == Outgoing::State::kUnsent;
    }
    /// Message `j` was handed to the producer.
    void sent(std::size_t j);
    /// The producer refused message `j` with `error` at once: true when it is given up (a dead
    /// letter of its envelope is appended, unsent); false when the batch must be retried.
    bool refused(std::size_t j, DeliveryError error);
    /// Records the delivery report of message `j` (ignored beyond the batch).
    void report(std::size_t j, DeliveryError error);
    /// Messages in flight are to be sent again (the producer was replaced).
    void resend_in_flight();
    /// Applies the recorded reports to the messages in flight: acknowledged ones are done,
    /// permanently refused releases and forwards are given up, the others are to be sent again.
    /// Returns the first error that calls for a retry; kNoDeliveryError when none.
    DeliveryError settle();
    /// Abandons the messages not done of the `revoked` partitions of `ready`: their new owner
    /// reads the envelopes again from the last commit.
    void drop(std::span<const ReadyEntry> ready, const std::set<std::int32_t>& revoked);
    /// True while a message in flight has no report yet.
    [[nodiscard]] bool awaited() const;
    /// True when every message is done.
    [[nodiscard]] bool done() const;

private:
    void give_up(std::size_t j, DeliveryError error);

    Describe describe_;
    std::vector<Outgoing> outs_;
    std::vector<bool> delivered_;        ///< acknowledged, by index into outs_
    std::vector<DeliveryError> errors_;  ///< reported errors not yet settled
};

}  // namespace kt::workers
