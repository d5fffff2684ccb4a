#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "lib/config/config.hpp"
#include "lib/http/check.hpp"
#include "lib/http/liveness.hpp"
#include "lib/metrics/registry.hpp"
#include "lib/non_copyable.hpp"
#include "lib/retry/backoff.hpp"
#include "workers/common/batch_retry.hpp"
#include "workers/common/last_error.hpp"
#include "workers/common/ports.hpp"
#include "workers/common/worker_loop.hpp"
#include "workers/delayer/delivery.hpp"
#include "workers/delayer/envelope.hpp"
#include "workers/delayer/schedule.hpp"

namespace kt::workers {

/// The Prometheus series one Delayer updates (label: delayer).
struct DelayerMetrics {
    metrics::Counter& released;
    metrics::Counter& forwarded;
    metrics::Counter& dead_letters;
    metrics::Counter& future_envelopes;
    metrics::Counter& batches_ok;
    metrics::Counter& batches_failed;
    metrics::Histogram& lateness_seconds;
    metrics::Gauge& held_envelopes;
    metrics::Gauge& window_envelopes;
    metrics::Gauge& paused_partitions;

    /// Registers (or finds) the series of delayer `name` in `registry`.
    static DelayerMetrics create(metrics::Registry& registry, const std::string& name);
};

/// Tuning of a Delayer that the config file does not expose.
struct DelayerOptions {
    /// What one partition may hold in memory before it is paused.
    WindowLimits window;
    /// Most envelopes released (produced, acknowledged, committed) per batch.
    std::size_t max_batch = 10000;
    /// Longest wait in poll when nothing falls due sooner.
    std::chrono::milliseconds max_poll_wait{100};
};

/// The delayer's retry backoff, for a batch Kafka did not acknowledge and for reconnecting:
/// 100 ms doubling to 5 s, with full jitter.
inline constexpr retry::BackoffOptions kDelayerBackoff{std::chrono::milliseconds(100),
                                                       std::chrono::seconds(5)};

/// What a Delayer reads from and writes to; delayer_io() builds the real ones.
struct DelayerIo {
    /// Due times, timeouts, liveness.
    std::unique_ptr<TimeSource> clock;
    /// Waits out the backoff between retries.
    Sleeper sleep = sleep_for;
    /// Releases, forwards and dead letters.
    std::unique_ptr<TaggedSink> producer;
    /// The delay topic, in the delayer's group; last, so that it is closed first.
    std::unique_ptr<PartitionConsumer> consumer;
};

/// The real DelayerIo of `delayer`: Kafka (the consumer joins
/// `<group_prefix>.delayer.<name>` when the Delayer opens it, with a bounded prefetch) and the
/// system's clocks. Throws kt::Error when a client cannot be created.
[[nodiscard]] DelayerIo delayer_io(const config::Config& config,
                                   const config::DelayerConfig& delayer);

/// The kt-delayer loop for one delay stage: poll → hold each envelope in its partition's
/// window until `created_at + delay` → produce the due payloads (and forwards to the next
/// stage, and dead letters) → wait for Kafka's acknowledgement → commit. A partition whose
/// window is full of not-yet-due envelopes is paused and resumed when they drain, so the loop
/// keeps polling (and its group membership), serves other partitions, and holds at most
/// `partitions x window` envelopes whatever the backlog. A batch that Kafka does not acknowledge
/// is retried forever, without committing; meanwhile every partition is paused and the loop
/// keeps polling, so the group does not drop it, rebalances go on (the batch's work for revoked
/// partitions is dropped, uncommitted) and a stop is honoured. Runs on one thread.
class Delayer final : public WorkerLoop, private NonCopyable {
public:
    /// A delay stage's loop on `io`; opens its consumer (throws kt::Error when that fails).
    /// `config`, `delayer` and `registry` must outlive the Delayer.
    Delayer(const config::Config& config, const config::DelayerConfig& delayer,
            metrics::Registry& registry, DelayerIo io, DelayerOptions options = {});
    ~Delayer() override;

    /// Runs until `stop` is requested; then finishes the batch in hand if Kafka acknowledges
    /// it promptly (committing only what is acknowledged) and leaves the group.
    void run(std::stop_token stop) override;

    /// /healthz: the loop is alive and, when due envelopes wait, commits progress within
    /// `stall_timeout` (envelopes not yet due do not count). Thread-safe.
    [[nodiscard]] http::Check health(std::chrono::milliseconds stall_timeout) override;
    /// /readyz: the last batch was acknowledged and committed. Thread-safe.
    [[nodiscard]] http::Check readiness() const override;
    /// Envelopes not yet released and committed, per assigned partition (cached watermarks).
    /// Thread-safe.
    [[nodiscard]] std::map<std::int32_t, std::int64_t> lag() const;
    /// /status.json: partitions of the delay topic, envelopes held, time until the next
    /// release, dead letters, last error. Thread-safe.
    [[nodiscard]] http::GroupStatus status() const override;

private:
    void connect();
    void reconnect();
    void on_assigned(const std::vector<kafka::TopicPartition>& parts);
    void on_revoked(const std::vector<kafka::TopicPartition>& parts);
    void apply_assignment();
    /// One turn of the loop: takes what fell due, polls, takes in what arrived and releases
    /// what is due. False when stopped during a batch.
    bool turn(const std::stop_token& stop, std::vector<ReadyEntry>& ready);
    void intake(const PolledMessage& message, WallTime now, std::vector<ReadyEntry>& ready);
    void apply_flow(const FlowPlan& plan);
    bool process(const std::stop_token& stop, std::vector<ReadyEntry>& ready);
    void produce_one(const std::vector<ReadyEntry>& ready, const Outgoing& out, std::uint64_t tag);
    /// Produces the batch's unsent messages; a permanently refused release or forward is
    /// given up. Throws KafkaError for what the whole batch must retry.
    void send_unsent(DeliveryBatch& batch, const std::vector<ReadyEntry>& ready);
    /// Hands the delivery reports that arrived to `batch`; those of earlier batches are dropped.
    void take_reports(DeliveryBatch& batch);
    /// Waits for the delivery reports of the batch in hand; false when stopped or after
    /// kFlushTimeout. Past kHoldAfter, every partition is paused and polled meanwhile.
    bool flush(const std::stop_token& stop, DeliveryBatch& batch,
               const std::vector<ReadyEntry>& ready);
    /// Sends the batch until every message is done, retrying with backoff; false when stopped.
    bool deliver(const std::stop_token& stop, DeliveryBatch& batch,
                 const std::vector<ReadyEntry>& ready);
    /// Produces what is unsent and waits for the reports: the problem that calls for a retry
    /// (empty when none); nullopt when stopped while waiting. A producer that failed fatally is
    /// replaced.
    std::optional<std::string> attempt(const std::stop_token& stop, DeliveryBatch& batch,
                        const std::vector<ReadyEntry>& ready);
    /// Counts, logs and commits a delivered batch.
    void account(const std::vector<Outgoing>& outs, const std::vector<ReadyEntry>& ready,
                 std::chrono::steady_clock::time_point started);
    /// Samples the rates and commits the batch's offsets (not those of revoked partitions).
    void commit_batch(const std::vector<ReadyEntry>& ready);
    void poll_held(std::chrono::milliseconds timeout);
    /// Waits `delay` through the sleeper in slices, polling between them (every partition
    /// paused); false when stopped.
    bool wait_held(std::chrono::milliseconds delay, const std::stop_token& stop);
    void end_hold();
    void commit_pending();
    void publish_status(WallTime now);
    /// Steady now, from the TimeSource.
    [[nodiscard]] std::chrono::steady_clock::time_point now() const { return io_.clock->steady(); }

    const config::Config& config_;
    const config::DelayerConfig& delayer_;
    std::string next_topic_;  ///< the next stage's topic; empty when none
    DelayerOptions options_;
    DelayerMetrics metrics_;
    http::Liveness liveness_;
    LastError error_;

    /// What health() and lag() read from other threads.
    struct PartitionStatus {
        std::int64_t committed = -1001;  ///< next offset to read; kafka::kNoOffset when unknown
        std::int64_t lag = -1;           ///< -1 until the first fetch reported watermarks
        bool holding = false;            ///< its window front is not due yet
        std::int64_t end = -1;           ///< high watermark; -1 until the first fetch
        http::RateMeter rate;            ///< envelopes handled

        explicit PartitionStatus(std::chrono::steady_clock::time_point start) : rate(start) {}
    };
    mutable std::mutex status_mutex_;
    std::map<std::int32_t, PartitionStatus> status_;
    std::optional<WallTime> next_due_;  ///< earliest window front, as of publish_status()

    EnvelopeParser parser_;
    Schedule schedule_;
    std::set<std::int32_t> newly_assigned_;
    std::map<std::int32_t, std::int64_t> pending_commits_;  ///< acknowledged, not yet committed
    bool commit_failing_ = false;
    /// Partitions revoked since the batch in hand started: its work for them is dropped.
    std::set<std::int32_t> revoked_in_batch_;
    /// Number of the batch in hand, in the high half of its delivery tags: a late report of an
    /// earlier batch is not taken for this one.
    std::uint32_t batch_number_ = 0;
    bool connected_ = false;            ///< the consumer is open
    std::vector<PolledMessage> polled_;  ///< views into the consumer, until its next poll
    std::vector<TaggedReport> reports_;
    DelayerIo io_;  ///< last: the consumer's hooks use the members above
};

}  // namespace kt::workers
