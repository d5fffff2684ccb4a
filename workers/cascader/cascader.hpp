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
#include "lib/http/liveness.hpp"
#include "lib/kafka/options.hpp"
#include "lib/metrics/registry.hpp"
#include "lib/non_copyable.hpp"
#include "workers/common/batch_retry.hpp"
#include "workers/common/dead_letters.hpp"
#include "workers/common/ports.hpp"
#include "workers/common/worker_loop.hpp"
#include "workers/common/message_parser.hpp"

namespace kt::workers {

/// Child ids handed from PostgreSQL to Kafka at a time: bounds the cascader's memory whatever
/// the fan-out.
inline constexpr std::size_t kChildChunk = 5000;
/// The children producer's local queue cap, in messages and KiB: with kChildChunk, what bounds
/// the cascader's memory (produce() waits for room).
inline constexpr std::size_t kChildQueueMessages = 50000;
inline constexpr std::size_t kChildQueueKbytes = 16384;

/// The children producer's options: the `kafka:` section plus the queue cap above, unless
/// `kafka.properties` sets queue.buffering.max.messages or queue.buffering.max.kbytes itself.
[[nodiscard]] kafka::Options child_producer_options(const config::KafkaConfig& kafka);

/// What a Cascader reads from and writes to; cascader_io() builds the real ones.
struct CascaderIo {
    std::unique_ptr<ChildSource> children;  ///< the association query
    std::unique_ptr<MessageSink> target;    ///< where the child ids go
    /// The cascade's dead-letter topic.
    std::unique_ptr<DeadLetterSink> dead_letters;
    /// The parent topic, in the cascade's group; last, so that it is closed first.
    std::unique_ptr<MessageSource> source;
    /// Waits out the backoff between retries of a batch.
    Sleeper sleep = sleep_for;
};

/// The real CascaderIo of `cascade`: Kafka (joins `<group_prefix>.cascader.<name>`; the
/// children producer capped as child_producer_options() says) and PostgreSQL, connected on
/// first use. Throws kt::Error when a client cannot be created.
[[nodiscard]] CascaderIo cascader_io(const config::Config& config,
                                     const config::CascadeConfig& cascade);

/// The Prometheus series one Cascader updates (label: cascade; outcome for batches).
struct CascaderMetrics {
    metrics::Counter& parents;
    metrics::Counter& children;
    metrics::Counter& dead_letters;
    metrics::Counter& batches_ok;
    metrics::Counter& batches_failed;
    metrics::Histogram& batch_seconds;
    metrics::Histogram& fanout;

    /// Registers (or finds) the series of cascade `name` in `registry`.
    static CascaderMetrics create(metrics::Registry& registry, const std::string& name);
};

/// The kt-cascader loop for one cascade: poll parent ids → batch → de-duplicate → stream the
/// association query's child ids from PostgreSQL in chunks → produce `{"id": …,
/// "cascaded": true}` keyed by id to the target topic → wait for every acknowledgement → commit.
/// Memory stays bounded for any fan-out: chunks of kChildChunk ids, and the producer's queue
/// is capped (produce() waits for room). A failed batch is retried whole (children may then be
/// sent twice; consumers are idempotent). A stop request is noticed while waiting for room or
/// for acknowledgements too: the batch is then abandoned uncommitted. Runs on one thread.
class Cascader final : public WorkerLoop, private NonCopyable {
public:
    /// A cascade's loop on `io`. `config`, `cascade` and `registry` must outlive the Cascader.
    Cascader(const config::Config& config, const config::CascadeConfig& cascade,
             metrics::Registry& registry, CascaderIo io);
    ~Cascader() override;

    void run(std::stop_token stop) override;
    [[nodiscard]] http::Check health(std::chrono::milliseconds stall_timeout) override;
    [[nodiscard]] http::Check readiness() const override;
    [[nodiscard]] http::GroupStatus status() const override;

private:
    struct Pending;

    bool process(const std::stop_token& stop, Pending& batch);
    /// Waits for every child message's delivery report, noticing a stop request within a
    /// slice; nullopt when stopped first. Throws kt::Error (retryable) after kFlushTimeout.
    std::optional<Flushed> flush_children(const std::stop_token& stop);
    /// Streams the children of `ids` to the target topic; returns how many. Throws
    /// pg::IdRejected when the query cannot take one of the ids.
    std::size_t stream_children(const std::stop_token& stop, const std::vector<std::string>& ids);

    const config::Config& config_;
    const config::CascadeConfig& cascade_;
    CascaderMetrics metrics_;
    http::Liveness liveness_;
    BatchRetry retry_;
    MessageParser parser_;
    CascaderIo io_;
};

}  // namespace kt::workers
