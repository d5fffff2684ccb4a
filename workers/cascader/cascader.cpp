#include "workers/cascader/cascader.hpp"

#include <unordered_map>

#include <fmt/format.h>

#include "lib/app/options_from_config.hpp"
#include "lib/kafka/error.hpp"
#include "lib/kafka/options.hpp"
#include "lib/log/log.hpp"
#include "lib/metrics/histogram.hpp"
#include "lib/wire/messages.hpp"
#include "lib/kafka/producer.hpp"
#include "lib/pg/child_query.hpp"
#include "workers/common/batch_consumer.hpp"
#include "workers/common/batch_plan.hpp"
#include "workers/common/group_loop.hpp"
#include "workers/common/isolating_load.hpp"

namespace kt::workers {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// Thrown out of a chunk callback when stop is requested mid-stream.
struct Stopped {};

/// One wait for acknowledgements: stop requests are noticed between slices.
constexpr milliseconds kFlushSlice{250};
/// A batch whose children are not all acknowledged by then fails (and is retried).
constexpr milliseconds kFlushTimeout{60000};
/// Waiting longer than this for acknowledgements is logged (once per attempt).
constexpr milliseconds kSlowAcknowledgements{5000};

}  // namespace

kafka::Options child_producer_options(const config::KafkaConfig& kafka) {
    kafka::Options options = app::kafka_options(kafka);
    options.properties.try_emplace("queue.buffering.max.kbytes", std::to_string(kChildQueueKbytes));
    options.properties.try_emplace("queue.buffering.max.messages",
                                   std::to_string(kChildQueueMessages));
    return options;
}

CascaderMetrics CascaderMetrics::create(metrics::Registry& registry, const std::string& name) {
    const metrics::Labels cascade{{"cascade", name}};
    return CascaderMetrics{
        registry.counter("kt_cascader_parents_total", "Parent messages consumed and committed",
                         cascade),
        registry.counter("kt_cascader_children_total",
                         "Child ids produced to the target topic and acknowledged", cascade),
        registry.counter("kt_cascader_dead_letters_total", "Messages sent to the dead-letter topic",
                         cascade),
        batches_counter(registry, "cascader", "cascade", name, "committed"),
        batches_counter(registry, "cascader", "cascade", name, "failed"),
        registry.histogram("kt_cascader_batch_duration_seconds",
                           "Time from a full batch to its commit", metrics::default_buckets(),
                           cascade),
        registry.histogram("kt_cascader_fanout_children",
                           "Child ids produced per parent id, averaged over each batch",
                           metrics::exponential_buckets(1, 4, 11), cascade),
    };
}

struct Cascader::Pending {
    InBatch polled;
    bool parsed = false;
    std::vector<BatchEntry> entries;
    std::unordered_multimap<std::string, std::size_t> messages_of_id;
    BatchDeadLetters dead;
};

/// The children producer: a kafka::Producer with its local queue capped.
class KafkaChildSink final : public MessageSink {
public:
    explicit KafkaChildSink(const kafka::Options& options) : producer_(options) {}

    bool produce(std::string_view topic, std::string_view key, std::string_view value,
                 const std::stop_token& stop) override {
        return producer_.produce(kafka::Record{topic, key, value, {}, kafka::kAnyPartition, 0},
                                 stop);
    }
    void poll() override { producer_.poll(milliseconds(0)); }
    std::optional<Flushed> flush(milliseconds timeout) override {
        kafka::FlushResult flushed;
        try {
            flushed = producer_.flush(timeout);
        } catch (const kafka::KafkaError& e) {
            if (e.code() != kafka::ErrorCode::kTimedOut) throw;
            return std::nullopt;
        }
        if (flushed.ok()) return Flushed{};
        return Flushed{flushed.failed, kafka::error_description(flushed.first_error)};
    }
    [[nodiscard]] std::size_t in_flight() const override { return producer_.in_flight(); }

private:
    kafka::Producer producer_;
};

/// The association query in PostgreSQL.
class PgChildSource final : public ChildSource {
public:
    PgChildSource(const config::CascadeConfig& cascade, std::string url)
        : query_(app::pg_source(cascade), std::move(url),
                 pg::LoaderOptions{"kt-cascader", std::chrono::seconds(10)}) {}

    std::size_t stream(const std::vector<std::string>& parent_ids, std::size_t chunk_size,
                       const ChildChunkFn& on_chunk) override {
        return query_.stream(parent_ids, chunk_size, on_chunk);
    }
    void check() override { query_.check(); }

private:
    pg::ChildQuery query_;
};

CascaderIo cascader_io(const config::Config& config, const config::CascadeConfig& cascade) {
    CascaderIo io;
    io.children = std::make_unique<PgChildSource>(cascade, config.postgres.url);
    io.target = std::make_unique<KafkaChildSink>(child_producer_options(config.kafka));
    io.dead_letters = std::make_unique<DeadLetterWriter>(
        app::kafka_options(config.kafka), cascade.dead_letter_topic, "cascade",
        cascade.name);
    io.source = std::make_unique<BatchConsumer>(
        app::kafka_options(config.kafka,
                                    app::group_id(config.kafka, "cascader", cascade.name)),
        cascade.topic, "cascade " + cascade.name);
    return io;
}

Cascader::Cascader(const config::Config& config, const config::CascadeConfig& cascade,
                   metrics::Registry& registry, CascaderIo io)
    : config_(config),
      cascade_(cascade),
      metrics_(CascaderMetrics::create(registry, cascade.name)),
      liveness_(Clock::now(), std::chrono::seconds(60)),
      retry_("cascade " + cascade.name, metrics_.batches_failed, liveness_, io.sleep),
      io_(std::move(io)) {
    export_lag(registry, "kt_cascader_consumer_lag",
               "Messages on the parent topic not yet committed, per partition",
               {{"cascade", cascade.name}}, *io_.source);
}

Cascader::~Cascader() = default;

http::Check Cascader::health(std::chrono::milliseconds stall_timeout) {
    return group_health(liveness_, *io_.source, stall_timeout);
}

http::Check Cascader::readiness() const {
    return retry_.readiness();
}

http::GroupStatus Cascader::status() const {
    return group_status(
        {"cascader", cascade_.name, app::group_id(config_.kafka, "cascader", cascade_.name),
         cascade_.topic, cascade_.dead_letter_topic},
        *io_.source, retry_, metrics_.dead_letters.value());
}

void Cascader::run(std::stop_token stop) {
    wait_until_query_runs(stop, retry_, "cascade " + cascade_.name,
                          [&] { io_.children->check(); });
    const auto max = static_cast<std::size_t>(cascade_.batch_size);
    while (!stop.stop_requested()) {
        liveness_.beat(Clock::now());
        Pending batch;
        if (!io_.source->fill(stop, batch.polled, max, cascade_.batch_wait, {})) continue;
        (void)retry_.run(stop, [&] { return process(stop, batch); });
    }
    log::info("cascade {}: stopping", cascade_.name);
    io_.source->close();
}

std::size_t Cascader::stream_children(const std::stop_token& stop,
                                      const std::vector<std::string>& ids) {
    return io_.children->stream(ids, kChildChunk, [&](std::span<const std::string> children) {
        if (stop.stop_requested()) throw Stopped{};
        for (const auto& child : children) {
            const std::string value = wire::cascaded_message(child);
            if (!io_.target->produce(cascade_.target, child, value, stop)) throw Stopped{};
        }
        io_.target->poll();
    });
}

std::optional<Flushed> Cascader::flush_children(const std::stop_token& stop) {
    const auto started = Clock::now();
    bool logged = false;
    while (true) {
        if (auto flushed = io_.target->flush(kFlushSlice)) return flushed;
        if (stop.stop_requested()) return std::nullopt;
        const auto waited = Clock::now() - started;
        if (waited >= kFlushTimeout) {
            throw kt::Error(
                fmt::format("{} child message(s) to {} not acknowledged within {} s",
                            io_.target->in_flight(), cascade_.target, kFlushTimeout.count() / 1000),
                true);
        }
        if (!logged && waited >= kSlowAcknowledgements) {
            log::warn("cascade {}: {} child message(s) to {} not acknowledged after {} s; waiting",
                      cascade_.name, io_.target->in_flight(), cascade_.target,
                      kSlowAcknowledgements.count() / 1000);
            logged = true;
        }
        liveness_.beat(Clock::now());
    }
}

bool Cascader::process(const std::stop_token& stop, Pending& batch) {
    const auto started = Clock::now();
    const std::vector<InMessage>& messages = batch.polled.messages;
    if (!batch.parsed) {
        batch.entries.reserve(messages.size());
        for (std::size_t i = 0; i < messages.size(); ++i) {
            const auto& m = messages[i];
            ParsedMessage parsed = parser_.parse(m.payload);
            if (!parsed.ok) {
                batch.dead.add(i, parsed.reason);
                continue;
            }
            batch.messages_of_id.emplace(parsed.id, i);
            batch.entries.push_back({m.partition, m.offset, std::move(parsed.id)});
        }
        batch.parsed = true;
    }

    std::vector<std::string> ids = distinct_ids(batch.entries);
    const std::size_t parents = ids.size();
    std::vector<RejectedId> rejected;
    std::size_t children = 0;
    if (!ids.empty()) {
        try {
            // One parent id the query cannot take must not stall the batch: it is dead-lettered
            // alone.
            run_isolating(
                std::move(ids),
                [&](std::vector<std::string>& some) { children += stream_children(stop, some); },
                rejected);
        } catch (const Stopped&) {
            log::info("cascade {}: stopped in the middle of a fan-out; nothing committed",
                      cascade_.name);
            return false;
        }
    }
    const std::optional<Flushed> acknowledged = flush_children(stop);
    if (!acknowledged) {
        log::info(
            "cascade {}: stopped while {} child message(s) awaited Kafka's acknowledgement; "
            "nothing committed",
            cascade_.name, io_.target->in_flight());
        return false;
    }
    const Flushed& flushed = *acknowledged;
    if (flushed.failed > 0) {
        throw kt::Error(fmt::format("{} child message(s) to {} were not acknowledged: {}",
                                    flushed.failed, cascade_.target, flushed.first_error),
                        true);
    }
    for (const RejectedId& r : rejected) {
        const auto [first, last] = batch.messages_of_id.equal_range(r.id);
        for (auto it = first; it != last; ++it) batch.dead.add(it->second, r.reason);
    }

    // Dead letters must be acknowledged before their offsets are committed.
    metrics_.dead_letters.inc(
        batch.dead.deliver(*io_.dead_letters, messages, cascade_.topic, std::chrono::seconds(30)));
    if (!io_.source->commit(messages)) return true;  // abandoned: read again after rejoining
    liveness_.progress(Clock::now());

    metrics_.parents.inc(messages.size());
    metrics_.children.inc(children);
    metrics_.batches_ok.inc();
    if (parents > 0) {
        metrics_.fanout.observe(static_cast<double>(children) / static_cast<double>(parents));
    }
    const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
    metrics_.batch_seconds.observe(static_cast<double>(took.count()) / 1000.0);
    log::info(
        "cascade {}: batch of {} message(s): {} parent id(s), {} child id(s) to {}, {} dead "
        "in {} ms",
        cascade_.name, messages.size(), parents, children, cascade_.target,
        batch.dead.reasons.size(), took.count());
    return true;
}

}  // namespace kt::workers
