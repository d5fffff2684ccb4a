#include "workers/delayer/delayer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "lib/app/options_from_config.hpp"
#include "lib/config/redact.hpp"
#include "lib/kafka/error.hpp"
#include "lib/log/log.hpp"
#include "lib/wire/messages.hpp"
#include "workers/common/batch_plan.hpp"
#include "workers/common/batch_retry.hpp"
#include "workers/common/dead_letters.hpp"
#include "workers/common/group_loop.hpp"

namespace kt::workers {

namespace {

using SteadyTime = std::chrono::steady_clock::time_point;
using std::chrono::milliseconds;

/// How long seek() may take to settle a paused partition's position.
constexpr milliseconds kSeekTimeout{10000};
/// One flush() slice: stop requests are noticed between slices.
constexpr milliseconds kFlushSlice{250};
/// A batch's produce attempt gives up (and is retried) after this long without every report.
constexpr milliseconds kFlushTimeout{30000};
/// A batch not acknowledged within this long pauses every partition, and the loop keeps polling
/// (group membership, rebalances) until the batch is acknowledged.
constexpr milliseconds kHoldAfter{1000};

/// A delivery tag: the batch number in the high half, the outgoing message's index in the low.
std::uint64_t delivery_tag(std::uint32_t batch, std::size_t index) {
    return (std::uint64_t{batch} << 32) | static_cast<std::uint32_t>(index);
}

double unix_seconds(WallTime t) {
    return std::chrono::duration<double>(t.time_since_epoch()).count();
}

std::vector<double> lateness_buckets() {
    return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600};
}

}  // namespace

DelayerMetrics DelayerMetrics::create(metrics::Registry& registry, const std::string& name) {
    const metrics::Labels labels{{"delayer", name}};
    return DelayerMetrics{
        registry.counter("kt_delayer_released_total",
                         "Payloads re-published to their model topic (acknowledged)", labels),
        registry.counter("kt_delayer_forwarded_total",
                         "Envelopes forwarded to the next delay stage (acknowledged)", labels),
        registry.counter("kt_delayer_dead_letters_total", "Envelopes sent to the dead-letter topic",
                         labels),
        registry.counter("kt_delayer_future_envelopes_total",
                         "Envelopes whose created_at lay in the future (held at most the delay)",
                         labels),
        batches_counter(registry, "delayer", "delayer", name, "committed"),
        batches_counter(registry, "delayer", "delayer", name, "failed"),
        registry.histogram("kt_delayer_release_lateness_seconds",
                           "Time from an envelope's due time to the acknowledgement of its release",
                           lateness_buckets(), labels),
        registry.gauge("kt_delayer_held_envelopes",
                       "Envelopes on the delay topic not yet released and committed", labels),
        registry.gauge("kt_delayer_window_envelopes",
                       "Envelopes read and held in memory, waiting to fall due", labels),
        registry.gauge("kt_delayer_paused_partitions",
                       "Partitions paused because their window is full of envelopes not yet due",
                       labels),
    };
}

Delayer::Delayer(const config::Config& config, const config::DelayerConfig& delayer,
                 metrics::Registry& registry, DelayerIo io, DelayerOptions options)
    : config_(config),
      delayer_(delayer),
      options_(options),
      metrics_(DelayerMetrics::create(registry, delayer.name)),
      liveness_(io.clock->steady(), std::chrono::seconds(60)),
      error_("delayer " + delayer.name),
      schedule_(options.window),
      io_(std::move(io)) {
    if (!delayer.next.empty()) {
        const auto* next = config.find_delayer(delayer.next);
        if (next == nullptr) {
            throw Error(fmt::format("delayer {}: next stage {} is not configured", delayer.name,
                                    delayer.next));
        }
        next_topic_ = next->topic;
    }
    connect();
}

Delayer::~Delayer() {
    // Leave the group while every member is alive: on_revoked still commits.
    try {
        io_.consumer->close();
    } catch (const std::exception& e) {
        log::warn("delayer {}: leaving the group failed: {}", delayer_.name, e.what());
    }
}

void Delayer::connect() {
    PartitionHooks hooks;
    hooks.on_assigned = [this](const std::vector<kafka::TopicPartition>& parts) {
        on_assigned(parts);
    };
    hooks.on_revoked = [this](const std::vector<kafka::TopicPartition>& parts) {
        on_revoked(parts);
    };
    io_.consumer->open(std::move(hooks));
    connected_ = true;
}

void Delayer::on_assigned(const std::vector<kafka::TopicPartition>& parts) {
    std::lock_guard lock(status_mutex_);
    for (const auto& p : parts) {
        schedule_.assign(p.partition);
        newly_assigned_.insert(p.partition);
        status_.insert_or_assign(p.partition, PartitionStatus(now()));
    }
    log::info("delayer {}: assigned {} partition(s) of {}", delayer_.name, parts.size(),
              delayer_.topic);
}

void Delayer::on_revoked(const std::vector<kafka::TopicPartition>& parts) {
    // Last chance to commit what was acknowledged for these partitions; envelopes still in
    // their windows are dropped, never committed: the new owner reads them again.
    std::vector<kafka::TopicPartition> commits;
    for (const auto& p : parts) {
        const auto it = pending_commits_.find(p.partition);
        if (it != pending_commits_.end()) {
            commits.push_back({delayer_.topic, p.partition, it->second});
        }
    }
    try {
        io_.consumer->commit(commits);
    } catch (const kt::Error& e) {
        log::warn("delayer {}: commit on revocation failed: {}", delayer_.name, e.what());
    }
    std::lock_guard lock(status_mutex_);
    for (const auto& p : parts) {
        revoked_in_batch_.insert(p.partition);
        schedule_.revoke(p.partition);
        pending_commits_.erase(p.partition);
        newly_assigned_.erase(p.partition);
        status_.erase(p.partition);
    }
    log::info("delayer {}: revoked {} partition(s)", delayer_.name, parts.size());
}

void Delayer::reconnect() {
    polled_.clear();  // views into the consumer's messages
    if (connected_) {
        connected_ = false;
        try {
            io_.consumer->close();  // leaves the group; on_revoked commits what was acknowledged
        } catch (const kt::Error& e) {
            log::warn("delayer {}: leaving the group failed: {}", delayer_.name, e.what());
        }
    }
    {
        std::lock_guard lock(status_mutex_);
        schedule_ = Schedule(options_.window);
        pending_commits_.clear();
        newly_assigned_.clear();
        status_.clear();
        next_due_.reset();
    }
    connect();
}

std::map<std::int32_t, std::int64_t> Delayer::lag() const {
    std::map<std::int32_t, std::int64_t> out;
    std::lock_guard lock(status_mutex_);
    for (const auto& [partition, s] : status_) {
        if (s.lag >= 0) out[partition] = s.lag;
    }
    return out;
}

http::Check Delayer::health(std::chrono::milliseconds stall_timeout) {
    std::int64_t due_lag = 0;
    {
        std::lock_guard lock(status_mutex_);
        for (const auto& [partition, s] : status_) {
            if (!s.holding && s.lag > 0) due_lag += s.lag;
        }
    }
    return liveness_.check(now(), due_lag, stall_timeout);
}

http::Check Delayer::readiness() const {
    return error_.readiness();
}

http::GroupStatus Delayer::status() const {
    const SteadyTime at = now();
    std::int64_t held = 0;
    std::vector<http::PartitionStatus> partitions;
    std::lock_guard lock(status_mutex_);
    for (const auto& [partition, ps] : status_) {
        http::PartitionStatus p;
        p.partition = partition;
        p.committed = ps.committed >= 0 ? ps.committed : http::kUnknownOffset;
        p.end = ps.end >= 0 ? ps.end : http::kUnknownOffset;
        p.lag = ps.lag >= 0 ? ps.lag : http::kUnknownOffset;
        p.rate = ps.rate.per_second(at);
        if (ps.lag > 0) held += ps.lag;
        partitions.push_back(p);
    }
    http::GroupStatus s = group_status(
        {"delayer", delayer_.name, app::group_id(config_.kafka, "delayer", delayer_.name),
         delayer_.topic, delayer_.dead_letter_topic},
        std::move(partitions), error_, metrics_.dead_letters.value());
    s.held = held;
    if (next_due_) {
        const double in = std::chrono::duration<double>(*next_due_ - io_.clock->wall()).count();
        s.next_release_in = std::max(0.0, in);
    }
    return s;
}

void Delayer::publish_status(WallTime now) {
    std::int64_t held = 0;
    {
        std::lock_guard lock(status_mutex_);
        for (auto& [partition, s] : status_) {
            s.holding = schedule_.holding(partition, now);
            // Cached values from fetch responses: no broker round trip.
            const auto marks = io_.consumer->watermarks(partition);
            if (!marks) continue;
            s.end = marks->high;
            s.lag = http::consumer_lag(s.committed, marks->low, marks->high);
            held += s.lag;
        }
        next_due_ = schedule_.next_due();
    }
    metrics_.held_envelopes.set(static_cast<double>(held));
    metrics_.window_envelopes.set(static_cast<double>(schedule_.held()));
    metrics_.paused_partitions.set(static_cast<double>(schedule_.paused()));
}

void Delayer::apply_assignment() {
    if (newly_assigned_.empty()) return;
    std::vector<kafka::TopicPartition> parts;
    for (const auto p : newly_assigned_) parts.push_back({delayer_.topic, p, kafka::kNoOffset});
    newly_assigned_.clear();
    // librdkafka keeps a partition paused by the application across a rebalance.
    io_.consumer->resume(parts);
    try {
        const auto committed = io_.consumer->committed(parts, std::chrono::seconds(5));
        std::lock_guard lock(status_mutex_);
        for (const auto& c : committed) {
            const auto it = status_.find(c.partition);
            if (it != status_.end()) it->second.committed = c.offset;
        }
    } catch (const kt::Error& e) {
        log::warn("delayer {}: cannot read committed offsets: {}", delayer_.name, e.what());
    }
}

void Delayer::intake(const PolledMessage& message, WallTime now, std::vector<ReadyEntry>& ready) {
    const std::int32_t partition = message.partition;
    if (!schedule_.admits(partition, message.offset)) return;
    WindowEntry entry;
    entry.offset = message.offset;
    entry.value.assign(message.payload);
    if (message.key) entry.key.emplace(*message.key);
    ParsedEnvelope parsed = parser_.parse(message.payload);
    if (!parsed.ok) {
        entry.dead_reason = std::move(parsed.reason);
        entry.due = WallTime::min();
    } else {
        const DueTime due = due_time(parsed.created_at, message.timestamp_ms, delayer_.delay, now);
        if (due.from_future) {
            metrics_.future_envelopes.inc();
            log::debug("delayer {}: {}:{}@{} was created in the future; held until {:.3f}",
                       delayer_.name, delayer_.topic, partition, entry.offset,
                       unix_seconds(due.due));
        }
        entry.due = due.due;
        entry.payload_pos = parsed.payload_pos;
        entry.payload_len = parsed.payload_len;
        entry.id = std::move(parsed.id);
        if (parsed.topic) {
            entry.topic = std::move(*parsed.topic);
        } else {
            entry.topic = delayer_.target;
        }
    }
    schedule_.offer(partition, std::move(entry), now, ready);
}

void Delayer::apply_flow(const FlowPlan& plan) {
    if (!plan.pause.empty()) {
        std::vector<kafka::TopicPartition> parts;
        for (const auto& p : plan.pause) parts.push_back({delayer_.topic, p.partition, p.offset});
        io_.consumer->pause(parts);
        // Messages after the window were fetched (and dropped): read them again on resume.
        io_.consumer->seek(parts, kSeekTimeout);
        log::debug("delayer {}: paused {} partition(s) with full windows", delayer_.name,
                   parts.size());
    }
    if (!plan.resume.empty()) {
        std::vector<kafka::TopicPartition> parts;
        for (const auto p : plan.resume) parts.push_back({delayer_.topic, p, kafka::kNoOffset});
        io_.consumer->resume(parts);
    }
}

void Delayer::produce_one(const std::vector<ReadyEntry>& ready, const Outgoing& out,
                          std::uint64_t tag) {
    const WindowEntry& e = ready[out.entry].entry;
    const std::string_view payload = std::string_view(e.value).substr(e.payload_pos, e.payload_len);
    switch (out.kind) {
        case Outgoing::Kind::kRelease:
            io_.producer->produce(OutRecord{e.topic, std::string_view(e.id), payload, {}, tag});
            return;
        case Outgoing::Kind::kForward: {
            // The next stage counts its delay from now.
            const std::string forward =
                wire::delay_envelope(payload, e.topic, unix_seconds(io_.clock->wall()));
            io_.producer->produce(OutRecord{next_topic_, std::string_view(e.id), forward, {}, tag});
            return;
        }
        case Outgoing::Kind::kDead: {
            const std::string partition_text = std::to_string(ready[out.entry].partition);
            const std::string offset_text = std::to_string(e.offset);
            const std::string size_text = std::to_string(e.value.size());
            const bool truncated = e.value.size() > kMaxDeadLetterBytes;
            const OutHeader headers[] = {
                {"kt.error", out.reason},         {"kt.topic", delayer_.topic},
                {"kt.partition", partition_text}, {"kt.offset", offset_text},
                {"kt.delayer", delayer_.name},    {"kt.original_bytes", size_text},
            };
            std::optional<std::string_view> key;
            if (e.key) key = *e.key;
            const std::string_view value = std::string_view(e.value);
            io_.producer->produce(OutRecord{delayer_.dead_letter_topic, key,
                                            truncated ? value.substr(0, kMaxDeadLetterBytes) : value,
                                            std::span(headers, truncated ? 6 : 5), tag});
            return;
        }
    }
}

void Delayer::take_reports(DeliveryBatch& batch) {
    reports_.clear();
    io_.producer->poll(reports_);
    for (const auto& r : reports_) {
        // A late report of an earlier batch is not taken for this one.
        if ((r.tag >> 32) != batch_number_) continue;
        batch.report(static_cast<std::size_t>(r.tag & 0xffffffffU), r.error);
    }
}

bool Delayer::flush(const std::stop_token& stop, DeliveryBatch& batch,
                    const std::vector<ReadyEntry>& ready) {
    const SteadyTime started = now();
    while (true) {
        const bool flushed = io_.producer->flush(kFlushSlice);
        take_reports(batch);
        if (flushed) return true;
        if (stop.stop_requested() || now() - started >= kFlushTimeout) return false;
        liveness_.beat(now());
        if (now() - started < kHoldAfter) continue;
        poll_held(milliseconds(0));
        batch.drop(ready, revoked_in_batch_);
        // What was dropped may stay in flight: wait only for the reports still of use.
        if (!batch.awaited()) return true;
    }
}

void Delayer::poll_held(milliseconds timeout) {
    std::vector<kafka::TopicPartition> parts;
    for (const auto p : schedule_.pause_all()) {
        parts.push_back({delayer_.topic, p, kafka::kNoOffset});
    }
    polled_.clear();
    try {
        if (!parts.empty()) {
            io_.consumer->pause(parts);
            log::info("delayer {}: {} partition(s) paused until the batch in hand is acknowledged",
                      delayer_.name, parts.size());
        }
        // Polling keeps the group membership and runs the rebalance hooks; what was fetched
        // before the pause is dropped and read again once resumed.
        io_.consumer->poll(polled_, options_.max_batch, timeout);
    } catch (const kafka::KafkaError& e) {
        // Not a producer error for process() to retry: the loop reconnects the consumer.
        throw Error(fmt::format("consumer: {}", e.what()));
    }
    for (const auto& m : polled_) schedule_.dropped(m.partition, m.offset);
    polled_.clear();
}

bool Delayer::wait_held(milliseconds delay, const std::stop_token& stop) {
    milliseconds left = delay;
    do {
        liveness_.beat(now());
        poll_held(milliseconds(0));
        const milliseconds slice = std::min(left, options_.max_poll_wait);
        if (!io_.sleep(slice, stop)) return false;
        left -= slice;
    } while (left.count() > 0);
    return !stop.stop_requested();
}

void Delayer::end_hold() {
    const ResumePlan plan = schedule_.resume_all();
    if (plan.empty()) return;
    if (!plan.seek.empty()) {
        std::vector<kafka::TopicPartition> parts;
        for (const auto& p : plan.seek) parts.push_back({delayer_.topic, p.partition, p.offset});
        io_.consumer->seek(parts, kSeekTimeout);
    }
    std::vector<kafka::TopicPartition> parts;
    for (const auto p : plan.resume) parts.push_back({delayer_.topic, p, kafka::kNoOffset});
    io_.consumer->resume(parts);
    log::info("delayer {}: {} partition(s) resumed", delayer_.name, parts.size());
}

bool Delayer::process(const std::stop_token& stop, std::vector<ReadyEntry>& ready) {
    const SteadyTime started = now();
    // A release or forward that can never succeed becomes a dead letter of its envelope.
    DeliveryBatch batch(ready, !next_topic_.empty(), [&](const Outgoing& out, DeliveryError e) {
        const std::string& topic =
            out.kind == Outgoing::Kind::kRelease ? ready[out.entry].entry.topic : next_topic_;
        return fmt::format("cannot produce to {}: {} ({})", topic, kafka::error_name(e),
                           kafka::error_description(e));
    });
    ++batch_number_;
    revoked_in_batch_.clear();
    if (!deliver(stop, batch, ready)) return false;
    end_hold();
    account(batch.outgoing(), ready, started);
    return true;
}

void Delayer::send_unsent(DeliveryBatch& batch, const std::vector<ReadyEntry>& ready) {
    for (std::size_t j = 0; j < batch.outgoing().size(); ++j) {
        if (!batch.unsent(j)) continue;
        try {
            produce_one(ready, batch.outgoing()[j], delivery_tag(batch_number_, j));
            batch.sent(j);
        } catch (const kafka::KafkaError& e) {
            if (!batch.refused(j, e.code())) throw;
        }
    }
}

std::optional<std::string> Delayer::attempt(const std::stop_token& stop, DeliveryBatch& batch,
                                            const std::vector<ReadyEntry>& ready) {
    try {
        send_unsent(batch, ready);
        if (flush(stop, batch, ready)) return std::string();
        if (stop.stop_requested()) return std::nullopt;
        return fmt::format("{} message(s) not acknowledged within {} s", io_.producer->in_flight(),
                           kFlushTimeout.count() / 1000);
    } catch (const kafka::KafkaError& e) {
        if (e.fatal()) {
            // The idempotent producer cannot go on: a new one sends everything again.
            log::warn("delayer {}: producer failed fatally, recreating it: {}", delayer_.name,
                      e.what());
            io_.producer->reset();
            batch.resend_in_flight();
        }
        return std::string(e.what());
    }
}

bool Delayer::deliver(const std::stop_token& stop, DeliveryBatch& batch,
                      const std::vector<ReadyEntry>& ready) {
    // Seeded once per thread: std::random_device costs a system call, and this runs per batch.
    thread_local const retry::RandomSource random = retry::default_random_source();
    retry::Backoff backoff(kDelayerBackoff, random);
    while (true) {
        const std::optional<std::string> outcome = attempt(stop, batch, ready);
        if (!outcome) return false;
        std::string problem = *outcome;
        const DeliveryError first_error = batch.settle();
        if (batch.done()) return true;
        // Only dead letters replacing undeliverable envelopes are new: send them right away.
        if (problem.empty() && first_error == kNoDeliveryError) continue;
        if (problem.empty()) {
            problem = fmt::format("delivery failed: {} ({})", kafka::error_name(first_error),
                                  kafka::error_description(first_error));
        }
        // Nothing of this batch is committed: send what is missing again.
        metrics_.batches_failed.inc();
        error_.set(problem);
        const milliseconds delay = backoff.next();
        log::warn("delayer {}: batch of {} envelope(s) not acknowledged, retrying in {} ms: {}",
                  delayer_.name, ready.size(), delay.count(), config::redact(problem));
        // Kafka may refuse for long: keep the group (every partition paused) meanwhile.
        if (!wait_held(delay, stop)) return false;
        batch.drop(ready, revoked_in_batch_);
    }
}

void Delayer::account(const std::vector<Outgoing>& outs, const std::vector<ReadyEntry>& ready,
                      SteadyTime started) {
    const WallTime acked = io_.clock->wall();
    std::size_t released = 0;
    std::size_t forwarded = 0;
    std::size_t dead = 0;
    std::size_t dropped = 0;
    double max_late = 0;
    for (const auto& out : outs) {
        if (out.dropped) ++dropped;
        if (out.failed || out.dropped) continue;
        switch (out.kind) {
            case Outgoing::Kind::kRelease: {
                ++released;
                const double late =
                    std::chrono::duration<double>(acked - ready[out.entry].entry.due).count();
                metrics_.lateness_seconds.observe(late);
                max_late = std::max(max_late, late);
                break;
            }
            case Outgoing::Kind::kForward:
                ++forwarded;
                break;
            case Outgoing::Kind::kDead:
                ++dead;
                log::warn("delayer {}: dead letter {}:{}@{} to {}: {}", delayer_.name,
                          delayer_.topic, ready[out.entry].partition, ready[out.entry].entry.offset,
                          delayer_.dead_letter_topic, out.reason);
                break;
        }
    }
    metrics_.released.inc(released);
    metrics_.forwarded.inc(forwarded);
    metrics_.dead_letters.inc(dead);
    commit_batch(ready);
    const auto took = std::chrono::duration_cast<milliseconds>(now() - started);
    log::info(
        "delayer {}: batch of {} envelope(s): {} released, {} forwarded, {} dead in {} ms "
        "(latest release {} ms after due){}",
        delayer_.name, ready.size(), released, forwarded, dead, took.count(),
        static_cast<std::int64_t>(max_late * 1000),
        dropped == 0 ? std::string()
                     : fmt::format("; {} dropped, their partition was revoked", dropped));
}

void Delayer::commit_batch(const std::vector<ReadyEntry>& ready) {
    {
        // One rate sample per partition and round, not one per envelope.
        std::map<std::int32_t, std::int64_t> done;
        for (const auto& r : ready) {
            if (revoked_in_batch_.count(r.partition) == 0) ++done[r.partition];
        }
        const SteadyTime at = now();
        std::lock_guard lock(status_mutex_);
        for (const auto& [partition, n] : done) {
            const auto it = status_.find(partition);
            if (it != status_.end()) it->second.rate.add(at, n);
        }
    }
    std::vector<std::int32_t> partitions;
    std::vector<std::int64_t> offsets;
    partitions.reserve(ready.size());
    offsets.reserve(ready.size());
    for (const auto& r : ready) {
        partitions.push_back(r.partition);
        offsets.push_back(r.entry.offset);
    }
    for (const auto& c : commit_offsets(delayer_.topic, partitions, offsets)) {
        // Nothing of a partition revoked meanwhile is committed: its new owner reads it again.
        if (revoked_in_batch_.count(c.partition) != 0) continue;
        auto& pending = pending_commits_[c.partition];
        pending = std::max(pending, c.offset);
    }
    commit_pending();
    if (!commit_failing_) error_.clear();
    metrics_.batches_ok.inc();
}

void Delayer::commit_pending() {
    if (pending_commits_.empty()) return;
    std::vector<kafka::TopicPartition> commits;
    for (const auto& [partition, offset] : pending_commits_) {
        if (schedule_.assigned(partition)) commits.push_back({delayer_.topic, partition, offset});
    }
    try {
        io_.consumer->commit(commits);
    } catch (const kt::Error& e) {
        // Kept: committed with the next batch, or on revocation.
        if (!commit_failing_) {
            log::warn("delayer {}: commit failed, will retry: {}", delayer_.name, e.what());
        }
        commit_failing_ = true;
        error_.set(e.what());
        return;
    }
    if (commit_failing_) log::info("delayer {}: commits succeed again", delayer_.name);
    commit_failing_ = false;
    pending_commits_.clear();
    {
        std::lock_guard lock(status_mutex_);
        for (const auto& c : commits) {
            const auto it = status_.find(c.partition);
            if (it != status_.end()) it->second.committed = c.offset;
        }
    }
    liveness_.progress(now());
}

bool Delayer::turn(const std::stop_token& stop, std::vector<ReadyEntry>& ready) {
    if (!connected_) connect();
    apply_assignment();
    commit_pending();
    WallTime wall = io_.clock->wall();
    ready.clear();
    schedule_.take_due(wall, ready, options_.max_batch);
    // The timer: poll no longer than until the earliest window front falls due.
    const milliseconds timeout = ready.empty()
                                     ? poll_timeout(schedule_.next_due(), wall, options_.max_poll_wait)
                                     : milliseconds(0);
    polled_.clear();
    io_.consumer->poll(polled_, options_.max_batch, timeout);
    // Entries of partitions revoked while polling belong to their new owner now.
    std::erase_if(ready, [this](const ReadyEntry& r) { return !schedule_.assigned(r.partition); });
    wall = io_.clock->wall();
    for (const auto& m : polled_) intake(m, wall, ready);
    polled_.clear();
    apply_flow(schedule_.plan_flow());
    if (!ready.empty() && !process(stop, ready)) return false;
    publish_status(io_.clock->wall());
    return true;
}

void Delayer::run(std::stop_token stop) {
    std::vector<ReadyEntry> ready;
    retry::Backoff backoff(kDelayerBackoff);
    while (!stop.stop_requested()) {
        liveness_.beat(now());
        try {
            if (!turn(stop, ready)) break;
            backoff.reset();
        } catch (const kt::Error& e) {
            // The consumer's positions may be unknown now: rejoin from the committed offsets,
            // which never pass an envelope that was not released.
            polled_.clear();  // views into the consumer's messages
            metrics_.batches_failed.inc();
            error_.set(e.what());
            const milliseconds delay = backoff.next();
            log::warn("delayer {}: {}; reconnecting in {} ms", delayer_.name,
                      config::redact(e.what()), delay.count());
            if (!io_.sleep(delay, stop)) break;
            try {
                reconnect();
            } catch (const kt::Error& again) {
                log::warn("delayer {}: reconnecting failed: {}", delayer_.name,
                          config::redact(again.what()));
            }
        }
    }
    log::info("delayer {}: stopping", delayer_.name);
    polled_.clear();
    try {
        io_.consumer->close();
    } catch (const std::exception& e) {
        log::warn("delayer {}: leaving the group failed: {}", delayer_.name, e.what());
    }
}

}  // namespace kt::workers
