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
#include "lib/kafka/consumer.hpp"
#include "lib/kafka/producer.hpp"
#include "lib/metrics/registry.hpp"
#include "workers/common/worker_loop.hpp"
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

/// The kt-delayer loop for one delay stage: poll → hold each envelope in its partition's
/// window until `created_at + delay` → produce the due payloads (and forwards to the next
/// stage, and dead letters) → wait for Kafka's acknowledgement → commit. A partition whose
/// window is full of not-yet-due envelopes is paused and resumed when they drain, so the loop
/// keeps polling (and its group membership), serves other partitions, and holds at most
/// `partitions x window` envelopes whatever the backlog. A batch that Kafka does not acknowledge
/// is retried forever, without committing; meanwhile every partition is paused and the loop
/// keeps polling, so the group does not drop it, rebalances go on (the batch's work for revoked
/// partitions is dropped, uncommitted) and a stop is honoured. Runs on one thread.
class Delayer final : public WorkerLoop {
public:
    /// Connects to Kafka (joins `<group_prefix>.delayer.<name>`); throws kt::Error when that
    /// fails. `config`, `delayer` and `registry` must outlive the Delayer.
    Delayer(const config::Config& config, const config::DelayerConfig& delayer,
            metrics::Registry& registry, DelayerOptions options = {});
    ~Delayer() override;
    Delayer(const Delayer&) = delete;
    Delayer& operator=(const Delayer&) = delete;

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
    struct Outgoing;

    std::unique_ptr<kafka::Producer> make_producer();
    void connect();
    void reconnect();
    void set_error(const std::string& error);
    void apply_assignment();
    void intake(const kafka::Message& message, WallTime now, std::vector<ReadyEntry>& ready);
    void apply_flow(const FlowPlan& plan);
    bool process(std::stop_token stop, std::vector<ReadyEntry>& ready);
    void produce_one(const std::vector<ReadyEntry>& ready, const Outgoing& out, std::uint64_t tag);
    bool flush(const std::stop_token& stop, std::vector<Outgoing>& outs,
               const std::vector<ReadyEntry>& ready);
    void poll_held(std::chrono::milliseconds timeout);
    bool wait_held(std::chrono::milliseconds delay, const std::stop_token& stop);
    void drop_revoked(std::vector<Outgoing>& outs, const std::vector<ReadyEntry>& ready) const;
    void end_hold();
    void commit_pending();
    void publish_status(WallTime now);

    const config::Config& config_;
    const config::DelayerConfig& delayer_;
    std::string next_topic_;  ///< the next stage's topic; empty when none
    DelayerOptions options_;
    DelayerMetrics metrics_;
    http::Liveness liveness_;
    std::atomic<bool> failing_{false};
    mutable std::mutex error_mutex_;
    std::string last_error_;
    std::optional<double> last_error_at_;  ///< unix seconds

    /// What health() and lag() read from other threads.
    struct PartitionStatus {
        std::int64_t committed = -1001;  ///< next offset to read; kafka::kNoOffset when unknown
        std::int64_t lag = -1;           ///< -1 until the first fetch reported watermarks
        bool holding = false;            ///< its window front is not due yet
        std::int64_t end = -1;           ///< high watermark; -1 until the first fetch
        http::RateMeter rate{std::chrono::steady_clock::now()};  ///< envelopes handled
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
    /// Delivery reports of the batch in hand, by index of its outgoing message.
    std::vector<bool> delivered_;
    std::vector<kafka::ErrorCode> delivery_errors_;
    std::unique_ptr<kafka::Producer> producer_;
    std::unique_ptr<kafka::Consumer> consumer_;
};

}  // namespace kt::workers
