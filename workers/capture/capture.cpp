#include "workers/capture/capture.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <unordered_map>

#include "lib/app/options_from_config.hpp"
#include "lib/config/redact.hpp"
#include "lib/kafka/options.hpp"
#include "lib/log/log.hpp"
#include "lib/pg/error.hpp"
#include "lib/pg/replication_frame.hpp"
#include "lib/pg/row_loader.hpp"
#include "lib/pg/slot_readers.hpp"
#include "lib/wire/messages.hpp"
#include "workers/capture/plan.hpp"
#include "workers/common/batch_retry.hpp"

namespace kt::workers {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
namespace po = pg::pgoutput;

/// How long one wait for a frame lasts: stop requests and acknowledgements are looked at in
/// between.
constexpr milliseconds kFrameWait{100};
/// Association query results handed to Kafka at a time.
constexpr std::size_t kLookupChunk = 5000;
/// On stop: how long to wait for outstanding acknowledgements before leaving.
constexpr milliseconds kStopFlush{5000};
/// Messages Kafka has not acknowledged for this long make /readyz false (the slot then holds
/// WAL, which kt_capture_slot_lag_bytes shows).
constexpr milliseconds kAckStall{10000};
/// On stop, with nothing in flight: how long to wait for the server's position.
constexpr milliseconds kStopCatchUp{1000};
/// kt_capture_slot_lag_bytes is read from the server this often.
constexpr milliseconds kProbeEvery{1000};
/// A standby replica asks for the slot this often while another replica holds it.
constexpr milliseconds kStandbyRetry{1000};

/// `kt-capture <host>:<pid>`: which replica streams, as pg_stat_replication and kt status show.
std::string replica_name() {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
    // application_name holds 63 bytes.
    return fmt::format("kt-capture {}:{}", std::string(host).substr(0, 32), ::getpid());
}

/// `2026-12-02T06:10:00Z`.
std::string utc_now() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buffer[32];
    return std::string(buffer, std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm));
}

double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

struct Capture::Metrics {
    metrics::Registry& registry;
    metrics::Counter& messages;
    metrics::Counter& transactions;
    metrics::Counter& reconnects;
    metrics::Gauge& slot_lag_bytes;
    metrics::Gauge& lag_seconds;
    metrics::Histogram& lag_histogram;

    /// The series of each relation (by oid) and index, found once: a change is counted
    /// without a registry lookup. A Relation message may rename its table: forget_relation().
    std::unordered_map<std::uint32_t, metrics::Counter*> changes_of_relation;
    std::unordered_map<std::uint32_t, metrics::Counter*> ids_of_relation;
    std::vector<metrics::Counter*> ids_of_index;

    /// Forgets what was found for relation `oid` (its Relation message came again).
    void forget_relation(std::uint32_t oid) {
        changes_of_relation.erase(oid);
        ids_of_relation.erase(oid);
    }

    metrics::Counter& changes(std::uint32_t oid, const capture::ChangeMapper& mapper) {
        auto& counter = changes_of_relation[oid];
        if (counter == nullptr) {
            counter = &registry.counter("kt_capture_changes_total", "Row changes read, per table",
                                        {{"table", mapper.table_name(oid)}});
        }
        return *counter;
    }
    metrics::Counter& ids(std::size_t index, const config::Config& config) {
        if (ids_of_index.empty()) {
            for (const auto& ix : config.indexes) {
                ids_of_index.push_back(&registry.counter(
                    "kt_capture_ids_total", "Ids produced, per index", {{"index", ix.name}}));
            }
        }
        return *ids_of_index[index];
    }
    metrics::Counter& table_ids(std::uint32_t oid, const capture::ChangeMapper& mapper) {
        auto& counter = ids_of_relation[oid];
        if (counter == nullptr) {
            counter = &registry.counter("kt_capture_table_ids_total",
                                        "Ids produced, per table whose change they come from",
                                        {{"table", mapper.table_name(oid)}});
        }
        return *counter;
    }
    metrics::Counter& truncates(const std::string& table) {
        return registry.counter("kt_capture_truncates_total",
                                "TRUNCATEs of a table an index reads (the index needs kt reindex)",
                                {{"table", table}});
    }
    metrics::Counter& unmapped(const std::string& table) {
        return registry.counter("kt_capture_unmapped_changes_total",
                                "Changes that could not be mapped to ids, per table",
                                {{"table", table}});
    }
};

struct Capture::Session {
    std::unique_ptr<pg::ReplicationStream> stream;
    po::Decoder decoder{1};
    po::Lsn received;  ///< the server's latest WAL position seen
    Clock::time_point last_report = Clock::now();
    Clock::time_point last_probe;
    po::Lsn last_reported;
};

Capture::Capture(const config::Config& config, metrics::Registry& registry)
    : config_(config),
      capture_(config.capture.value_or(config::CaptureConfig{})),
      metrics_(std::make_unique<Metrics>(Metrics{
          registry,
          registry.counter("kt_capture_messages_total", "pgoutput messages read"),
          registry.counter("kt_capture_transactions_total", "Committed transactions read"),
          registry.counter("kt_capture_reconnects_total", "Replication sessions started again"),
          registry.gauge("kt_capture_slot_lag_bytes",
                         "WAL the slot holds: the server's position minus the slot's confirmed "
                         "one (pg_replication_slots, read each second)"),
          registry.gauge("kt_capture_lag_seconds",
                         "From the commit of the newest transaction whose messages Kafka "
                         "acknowledged (and every earlier one's) to that acknowledgement"),
          registry.histogram("kt_capture_lag_distribution_seconds",
                             "kt_capture_lag_seconds at each confirmation: commit to Kafka's "
                             "acknowledgement of the newest transaction confirmed then",
                             {0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10, 30, 60, 300}),
          {},
          {},
          {}})),
      liveness_(Clock::now(), std::chrono::seconds(30)),
      probe_(std::make_unique<pg::SlotProbe>(config.postgres.url, capture_.slot,
                                             std::chrono::seconds(2))) {
    for (const auto& ix : config.indexes) topics_.push_back(ix.topic);
    producer_ = std::make_unique<kafka::Producer>(
        app::kafka_options(config.kafka), [this](const kafka::DeliveryReport& report) {
            if (report.ok()) {
                tracker_.acknowledged(report.tag);
                acked_ = true;  // stamped, and the lag observed, once per poll
            } else if (tracker_.current(report.tag)) {
                delivery_failed_ = true;  // an earlier session's message is sent again anyway
            }
        });
}

Capture::~Capture() = default;

std::vector<capture::IndexFeeds> Capture::shapes() const {
    capture::CapturePlan plan =
        capture::capture_plan(config_, [&](const config::IndexConfig& ix) {
            return ix.query.empty()
                       ? pg::RowLoader(app::pg_source(ix), config_.postgres.url).sql()
                       : ix.query;
        });
    for (const auto& refusal : plan.refusals) {
        log::warn("capture: {}: changes there are not captured", refusal);
    }
    return std::move(plan.indexes);
}

http::Check Capture::health(std::chrono::milliseconds stall_timeout) {
    return liveness_.check(Clock::now(), pending_.load(), stall_timeout);
}

http::Check Capture::readiness() const {
    const auto since_ack = Clock::now().time_since_epoch() - Clock::duration(last_ack_.load());
    if (streaming_ && pending_.load() > 0 && since_ack > kAckStall) {
        return {false, fmt::format("capture: Kafka has acknowledged nothing for {} s; slot {} "
                                   "holds the WAL meanwhile",
                                   std::chrono::duration_cast<std::chrono::seconds>(since_ack)
                                       .count(),
                                   capture_.slot)};
    }
    if (streaming_) return {};
    if (standby_) return {true, "capture: standby, another replica streams slot " + capture_.slot};
    std::lock_guard lock(mutex_);
    return {false, fmt::format("capture: not streaming slot {}{}", capture_.slot,
                               last_error_.empty() ? "" : ": " + last_error_)};
}

http::GroupStatus Capture::status() const {
    http::GroupStatus s;
    s.worker = "capture";
    s.name = capture_.slot;
    s.group = capture_.slot;
    s.topic = capture_.publication;
    std::lock_guard lock(mutex_);
    s.last_error = last_error_;
    s.last_error_at = last_error_at_;
    std::vector<std::string> problems;
    if (standby_) {
        problems.emplace_back("standby: another replica streams the slot");
    } else if (!streaming_) {
        problems.emplace_back("not streaming");
    }
    for (const auto& [key, line] : needs_reindex_) problems.push_back(line);
    s.problem = fmt::format("{}", fmt::join(problems, "; "));
    return s;
}

void Capture::fail(const std::string& error) {
    streaming_ = false;
    std::lock_guard lock(mutex_);
    last_error_ = config::redact(error);
    last_error_at_ = unix_now();
}

void Capture::run(std::stop_token stop) {
    milliseconds backoff{100};
    while (!stop.stop_requested()) {
        liveness_.beat(Clock::now());
        try {
            if (!mapper_) mapper_ = std::make_unique<capture::ChangeMapper>(shapes());
            stream(stop);
            backoff = milliseconds{100};
        } catch (const Error& e) {
            if (!e.retryable() && dynamic_cast<const pg::QueryError*>(&e) == nullptr) throw;
            // A session that streamed and then broke (the WAL sender terminated, the server
            // restarted) starts the backoff afresh: only failures in a row make it grow.
            if (streaming_) backoff = milliseconds{100};
            fail(e.what());
            log::warn("capture: slot {}: {}; trying again in {} ms", capture_.slot,
                      config::redact(e.what()), backoff.count());
            metrics_->reconnects.inc();
            tracker_.reset();
            producer_->purge();
            (void)producer_->poll(milliseconds{0});
            delivery_failed_ = false;
            const bool standby = dynamic_cast<const pg::SlotInUse*>(&e) != nullptr;
            standby_ = standby;
            if (!sleep_for(standby ? kStandbyRetry : backoff, stop)) break;
            backoff = standby ? milliseconds{100} : std::min(backoff * 2, milliseconds{30000});
        }
    }
}

void Capture::stream(const std::stop_token& stop) {
    Session session;
    pg::ReplicationOptions options{config_.postgres.url, capture_.slot, capture_.publication,
                                   1, false, std::chrono::seconds(10), replica_name()};
    session.stream = std::make_unique<pg::ReplicationStream>(options, tracker_.confirmed());
    standby_ = false;
    streaming_ = true;
    log::info("capture: streaming slot {} (publication {}) from {}", capture_.slot,
              capture_.publication, po::to_string(tracker_.confirmed()));
    while (!stop.stop_requested()) {
        liveness_.beat(Clock::now());
        const auto frame = session.stream->next(kFrameWait);
        (void)producer_->poll(milliseconds{0});
        if (acked_) {
            acked_ = false;
            last_ack_ = Clock::now().time_since_epoch().count();
            observe_lag();
        }
        if (delivery_failed_) {
            throw TransientError("Kafka did not acknowledge every message; sending again from " +
                                 po::to_string(tracker_.confirmed()));
        }
        bool reply = false;
        if (frame) {
            const auto parsed = pg::replication::parse_server_frame(*frame);
            if (const auto* data = std::get_if<pg::replication::XLogData>(&parsed)) {
                session.received = std::max(session.received, data->wal_end);
                handle(stop, session, data->payload);
            } else {
                const auto& keepalive = std::get<pg::replication::Keepalive>(parsed);
                session.received = std::max(session.received, keepalive.wal_end);
                tracker_.sent_up_to(keepalive.wal_end);
                reply = keepalive.reply_requested;
            }
        }
        report_position(session, reply);
        probe_slot(session);
    }
    // Stopping: give outstanding messages a moment, then confirm what Kafka acknowledged.
    const auto deadline = Clock::now() + kStopFlush;
    while (tracker_.unacknowledged() > 0 && Clock::now() < deadline) {
        (void)producer_->poll(milliseconds{100});
    }
    catch_up_on_stop(session);
    report_position(session, true);
    streaming_ = false;
}

void Capture::catch_up_on_stop(Session& session) {
    if (tracker_.unacknowledged() > 0 || tracker_.waiting_transactions() > 0) return;
    // Nothing in flight: ask where the server stands and confirm that too, so that the slot
    // a stopped replica leaves holds no WAL that other tables wrote meanwhile.
    try {
        session.stream->send_status(session.received, tracker_.confirmed(), true);
        const auto until = Clock::now() + kStopCatchUp;
        while (Clock::now() < until) {
            const auto frame = session.stream->next(kFrameWait);
            if (!frame) continue;
            const auto parsed = pg::replication::parse_server_frame(*frame);
            const auto* keepalive = std::get_if<pg::replication::Keepalive>(&parsed);
            if (keepalive == nullptr) return;  // a change: whoever streams next sends it
            tracker_.sent_up_to(keepalive->wal_end);
            return;
        }
    } catch (const Error& e) {
        log::debug("capture: slot {}: no position from the server on stop: {}", capture_.slot,
                   config::redact(e.what()));
    }
}

void Capture::handle(const std::stop_token& stop, Session& session, std::string_view payload) {
    const po::Message message = session.decoder.decode(payload);
    metrics_->messages.inc();
    if (std::holds_alternative<po::Begin>(message)) {
        tracker_.begin();
    } else if (const auto* commit = std::get_if<po::Commit>(&message)) {
        tracker_.committed(commit->end_lsn, commit->commit_time);
        metrics_->transactions.inc();
        observe_lag();
    } else if (const auto* relation = std::get_if<po::Relation>(&message)) {
        mapper_->relation(*relation);
        metrics_->forget_relation(relation->oid);
    } else if (const auto* truncate = std::get_if<po::Truncate>(&message)) {
        for (const auto oid : truncate->relations) truncated(*truncate, oid);
    } else if (std::holds_alternative<po::Insert>(message) ||
               std::holds_alternative<po::Update>(message) ||
               std::holds_alternative<po::Delete>(message)) {
        std::uint32_t oid = 0;
        std::visit(
            [&](const auto& m) {
                if constexpr (requires { m.relation; }) oid = m.relation;
            },
            message);
        metrics_->changes(oid, *mapper_).inc();
        const capture::ChangeIds ids = mapper_->map(message);
        const std::uint64_t before = produced_;
        for (const auto& id : ids.ids) produce_id(stop, id.index, id.id);
        for (const auto& l : ids.lookups) lookup(stop, l);
        if (produced_ > before) metrics_->table_ids(oid, *mapper_).inc(produced_ - before);
        for (const auto& line : ids.unmapped) {
            metrics_->unmapped(mapper_->table_name(oid)).inc();
            log::warn("capture: {}", line);
        }
    }
    pending_ = static_cast<std::int64_t>(tracker_.unacknowledged() +
                                         tracker_.waiting_transactions());
}

void Capture::truncated(const po::Truncate& truncate, std::uint32_t oid) {
    const std::string table = mapper_->table_name(oid);
    metrics_->truncates(table).inc();
    po::Truncate one = truncate;
    one.relations = {oid};
    for (const auto index : mapper_->truncated(one)) {
        const std::string& name = config_.indexes[index].name;
        const std::string line = fmt::format("table {} was truncated at {}: index {} needs "
                                             "`kt reindex {}`",
                                             table, utc_now(), name, name);
        log::warn("capture: {}", line);
        std::lock_guard lock(mutex_);
        needs_reindex_[table + '\n' + name] = line;
    }
}

void Capture::produce_id(const std::stop_token& stop, std::size_t index, const std::string& id) {
    const std::string value = wire::instant_message(id);
    kafka::Record record{topics_[index], id, value, {}, kafka::kAnyPartition, tracker_.queued()};
    if (!producer_->produce(record, stop)) return;  // stopping: never confirmed
    metrics_->ids(index, config_).inc();
    ++produced_;
}

void Capture::lookup(const std::stop_token& stop, const capture::Lookup& lookup) {
    auto& query = lookups_[lookup.query];
    if (!query) {
        pg::CascadeSource source;
        source.name = "capture of " + config_.indexes[lookup.index].name;
        source.query = lookup.query;
        query = std::make_unique<pg::ChildQuery>(source, config_.postgres.url);
    }
    query->stream(lookup.values, kLookupChunk, [&](std::span<const std::string> ids) {
        for (const auto& id : ids) produce_id(stop, lookup.index, id);
    });
}

void Capture::observe_lag() {
    const auto commit_time = tracker_.take_confirmed_commit_time();
    if (!commit_time) return;
    const double lag = capture::capture_lag_seconds(
        *commit_time, pg::replication::to_pg_time(std::chrono::system_clock::now()));
    metrics_->lag_seconds.set(lag);
    metrics_->lag_histogram.observe(lag);
}

void Capture::report_position(Session& session, bool now_please) {
    const auto now = Clock::now();
    const po::Lsn confirmed = tracker_.confirmed();
    const bool moved = confirmed != session.last_reported;
    capture::StatusMoment moment;
    moment.since_last = std::chrono::duration_cast<milliseconds>(now - session.last_report);
    moment.moved = moved;
    moment.idle = tracker_.unacknowledged() == 0 && tracker_.waiting_transactions() == 0;
    moment.server_asked = now_please;
    moment.heartbeat = std::chrono::duration_cast<milliseconds>(capture_.heartbeat);
    const capture::StatusUpdate update = capture::status_update(moment);
    if (!update.send) return;
    // A keepalive asked for comes back with the server's position, which is confirmed in turn
    // when nothing is pending: the slot moves while the watched tables are idle.
    session.stream->send_status(session.received, confirmed, update.ask_reply);
    session.last_report = now;
    if (moved) liveness_.progress(now);
    session.last_reported = confirmed;
}

void Capture::probe_slot(Session& session) {
    const auto now = Clock::now();
    if (now - session.last_probe < kProbeEvery) return;
    session.last_probe = now;
    try {
        if (const auto slot = probe_->read()) {
            metrics_->slot_lag_bytes.set(static_cast<double>(slot->lag_bytes));
            return;
        }
    } catch (const Error& e) {
        log::debug("capture: slot {}: cannot read its position: {}", capture_.slot,
                   config::redact(e.what()));
    }
    // What this session knows: the server's position it last heard of minus the confirmed one.
    const po::Lsn confirmed = tracker_.confirmed();
    metrics_->slot_lag_bytes.set(session.received.value > confirmed.value
                                     ? static_cast<double>(session.received.value -
                                                           confirmed.value)
                                     : 0.0);
}

}  // namespace kt::workers
