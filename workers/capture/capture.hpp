#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include "lib/config/config.hpp"
#include "lib/http/liveness.hpp"
#include "lib/kafka/producer.hpp"
#include "lib/metrics/registry.hpp"
#include "lib/non_copyable.hpp"
#include "lib/pg/child_query.hpp"
#include "lib/pg/replication_stream.hpp"
#include "lib/pg/slot_readers.hpp"
#include "workers/capture/change_ids.hpp"
#include "workers/capture/confirm.hpp"
#include "workers/common/worker_loop.hpp"

namespace kt::workers {

/// The kt-capture loop: reads the `capture:` slot's committed changes (pgoutput), maps each to
/// the ids of the documents it feeds (capture::ChangeMapper, from each index's own query),
/// produces the ordinary instant message `{"id": …}` keyed by id on each index's topic, and
/// confirms to PostgreSQL only the end of the last transaction whose messages Kafka
/// acknowledged (capture::ConfirmTracker): a SIGKILL at any moment loses nothing, the slot
/// replays the rest. A lost connection or a refused slot (another replica streams) is retried
/// with backoff; undelivered messages restart the session from the confirmed position. Runs on
/// one thread.
class Capture final : public WorkerLoop, private NonCopyable {
public:
    /// Works out every index's shape (throws kt::Error when a query does not parse) and creates
    /// the producer; PostgreSQL is connected in run().
    Capture(const config::Config& config, metrics::Registry& registry);
    ~Capture() override;

    void run(std::stop_token stop) override;
    [[nodiscard]] http::Check health(std::chrono::milliseconds stall_timeout) override;
    [[nodiscard]] http::Check readiness() const override;
    [[nodiscard]] http::GroupStatus status() const override;

private:
    struct Session;
    struct Metrics;

    /// The index shapes, resolving `table:` shorthands through the database.
    [[nodiscard]] std::vector<capture::IndexFeeds> shapes() const;
    /// One replication session from the confirmed position until stop, a lost connection or
    /// an undelivered message (the latter two throw).
    void stream(const std::stop_token& stop);
    void handle(const std::stop_token& stop, Session& session, std::string_view payload);
    /// A TRUNCATE of relation `oid`: counted, logged and kept for status() for every index
    /// that reads the table.
    void truncated(const pg::pgoutput::Truncate& truncate, std::uint32_t oid);
    void produce_id(const std::stop_token& stop, std::size_t index, const std::string& id);
    void lookup(const std::stop_token& stop, const capture::Lookup& lookup);
    /// Sets kt_capture_lag_seconds when a transaction was confirmed since the last call.
    void observe_lag();
    /// On stop with nothing in flight: confirms the server's position too (a keepalive asked
    /// for, waited for a moment).
    void catch_up_on_stop(Session& session);
    /// Reads the slot's lag from the server (kt_capture_slot_lag_bytes) once a second.
    void probe_slot(Session& session);
    /// Sends a status update when one is due (or `now_please`).
    void report_position(Session& session, bool now_please);
    void fail(const std::string& error);

    const config::Config& config_;
    config::CaptureConfig capture_;
    std::unique_ptr<Metrics> metrics_;
    http::Liveness liveness_;
    std::unique_ptr<pg::SlotProbe> probe_;
    capture::ConfirmTracker tracker_;
    std::unique_ptr<capture::ChangeMapper> mapper_;
    std::vector<std::string> topics_;  ///< per index position
    std::map<std::string, std::unique_ptr<pg::ChildQuery>> lookups_;  ///< by query text
    std::unique_ptr<kafka::Producer> producer_;
    bool delivery_failed_ = false;
    bool acked_ = false;  ///< a delivery report acknowledged a message since the last poll
    std::atomic<bool> streaming_{false};
    std::atomic<bool> standby_{false};  ///< another replica holds the slot: waiting, ready
    std::atomic<std::int64_t> pending_{0};
    std::uint64_t produced_ = 0;  ///< ids handed to Kafka since start
    /// When Kafka last acknowledged a message (steady clock ticks).
    std::atomic<std::chrono::steady_clock::rep> last_ack_{
        std::chrono::steady_clock::now().time_since_epoch().count()};
    mutable std::mutex mutex_;
    std::string last_error_;
    std::optional<double> last_error_at_;
    /// `table T was truncated at …: index I needs `kt reindex I``, by table and index (the
    /// latest), since start.
    std::map<std::string, std::string> needs_reindex_;
};

}  // namespace kt::workers
