#include "workers/indexer/indexer.hpp"

#include <future>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "lib/app/options_from_config.hpp"
#include "lib/config/redact.hpp"
#include "lib/es/curl_transport.hpp"
#include "lib/es/index_admin.hpp"
#include "lib/es/options.hpp"
#include "lib/kafka/options.hpp"
#include "lib/log/log.hpp"
#include "lib/pg/error.hpp"
#include "workers/common/batch_consumer.hpp"
#include "workers/common/clients.hpp"
#include "workers/common/group_loop.hpp"
#include "workers/common/isolating_load.hpp"

namespace kt::workers {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// Foreign versions are logged at most once per this period (with the count since).
constexpr std::chrono::seconds kForeignLogPeriod{10};

metrics::Counter& bulk_request(metrics::Registry& registry, const std::string& index,
                               const char* outcome) {
    return registry.counter("kt_indexer_bulk_requests_total",
                            "Elasticsearch bulk requests by outcome (ok, partial: some items to "
                            "retry, throttled: 429, failed: 5xx or no answer)",
                            {{"index", index}, {"outcome", outcome}});
}

}  // namespace

IndexerMetrics IndexerMetrics::create(metrics::Registry& registry, const std::string& name) {
    const metrics::Labels index{{"index", name}};
    return IndexerMetrics{
        registry.counter("kt_indexer_messages_total", "Messages consumed and committed", index),
        registry.counter("kt_indexer_documents_total", "Documents written to Elasticsearch",
                         {{"index", name}, {"op", "index"}}),
        registry.counter("kt_indexer_documents_total", "Documents written to Elasticsearch",
                         {{"index", name}, {"op", "delete"}}),
        registry.counter("kt_indexer_dead_letters_total", "Messages sent to the dead-letter topic",
                         index),
        batches_counter(registry, "indexer", "index", name, "committed"),
        batches_counter(registry, "indexer", "index", name, "failed"),
        registry.histogram("kt_indexer_batch_duration_seconds",
                           "Time from a full batch to its commit", metrics::default_buckets(),
                           index),
        bulk_request(registry, name, "ok"),
        bulk_request(registry, name, "partial"),
        bulk_request(registry, name, "throttled"),
        bulk_request(registry, name, "failed"),
        registry.counter("kt_indexer_bulk_retries_total",
                         "Backoff waits before resending bulk items", index),
        registry.counter("kt_indexer_foreign_versions_total",
                         "Writes refused because another writer changed the document after kt "
                         "(its version is not kt's); each is rewritten from a newer snapshot",
                         index),
    };
}

void IndexerMetrics::count(const es::RequestCounts& requests) {
    bulk_ok.inc(requests.ok);
    bulk_partial.inc(requests.partial);
    bulk_throttled.inc(requests.throttled);
    bulk_failed.inc(requests.failed);
    bulk_retries.inc(requests.retries);
}

struct Indexer::Pending {
    InBatch polled;
    Clock::time_point filled;  ///< when the batch was full: its duration ends at the commit
    bool parsed = false;
    std::vector<BatchEntry> entries;
    std::vector<std::size_t> message_of_entry;  ///< index into `messages` of each entry
    /// Built on the first dead letter by id only: most batches have none.
    std::unordered_multimap<std::string_view, std::size_t> messages_of_id;
    std::size_t poison = 0;
    BatchDeadLetters dead;
    /// The rows of the latest load and the writes planned from them (views into `loaded`);
    /// `prepared` until a write of them was attempted, after which a retry loads again.
    bool prepared = false;
    IsolatedLoad loaded;
    std::vector<es::BulkAction> actions;
    WriteTally tally;
    /// The bulk write of `actions` running on its own thread, when one was started. Last, so
    /// that destroying the batch waits for that thread before the views it writes go.
    std::future<es::WriteResult> write;

    /// The batch's messages.
    [[nodiscard]] const std::vector<InMessage>& messages() const { return polled.messages; }

    /// Marks every message of `id` dead for `reason`.
    void dead_letter_id(std::string_view id, const std::string& reason) {
        if (messages_of_id.empty()) {
            for (std::size_t e = 0; e < entries.size(); ++e) {
                messages_of_id.emplace(entries[e].id, message_of_entry[e]);
            }
        }
        const auto [first, last] = messages_of_id.equal_range(id);
        for (auto it = first; it != last; ++it) dead.add(it->second, reason);
    }
};

IndexerIo indexer_io(const config::Config& config, const config::IndexConfig& index) {
    IndexerIo io;
    const es::Options es_options =
        app::es_options(config.elasticsearch);
    es::BulkClientOptions bulk_options;
    bulk_options.bulk_size.max = static_cast<std::size_t>(index.batch_size);
    io.bulk = std::make_unique<EsBulkWriter>(std::make_unique<es::BulkClient>(
        std::make_unique<es::CurlTransport>(es_options), bulk_options));
    io.dead_letters = std::make_unique<DeadLetterWriter>(
        app::kafka_options(config.kafka), index.dead_letter_topic, "index", index.name);
    io.source = std::make_unique<BatchConsumer>(
        app::kafka_options(config.kafka,
                                    app::group_id(config.kafka, "indexer", index.name)),
        index.topic, "index " + index.name);
    io.connect_rows = [&index, url = config.postgres.url] {
        return std::make_unique<PgRowSource>(index, url);
    };
    io.ensure_alias = [&index, es_options] {
        es::IndexAdmin admin(std::make_unique<es::CurlTransport>(es_options));
        (void)admin.ensure_alias(index.name, index.mappings_file,
                                 std::chrono::system_clock::now());
    };
    return io;
}

Indexer::Indexer(const config::Config& config, const config::IndexConfig& index,
                 metrics::Registry& registry, IndexerIo io)
    : config_(config),
      index_(index),
      metrics_(IndexerMetrics::create(registry, index.name)),
      liveness_(Clock::now(), std::chrono::seconds(60)),
      retry_("index " + index.name, metrics_.batches_failed, liveness_, io.sleep),
      io_(std::move(io)) {
    // The alias (created with its physical index when missing) is made sure of now, so that
    // what Elasticsearch refuses for good (401/403, a mappings file it rejects, an index named
    // like the alias) stops the process with the reason. One that cannot answer yet (no
    // connection, 429, 5xx) is waited for in run() instead.
    try {
        ensure_alias();
    } catch (const kt::Error& e) {
        if (!e.retryable()) throw;
        alias_pending_ = true;
    }
    export_lag(registry, "kt_indexer_consumer_lag",
               "Messages on the topic not yet committed, per partition", {{"index", index.name}},
               *io_.source);
}

http::Check Indexer::health(std::chrono::milliseconds stall_timeout) {
    return group_health(liveness_, *io_.source, stall_timeout);
}

http::Check Indexer::readiness() const {
    return retry_.readiness();
}

http::GroupStatus Indexer::status() const {
    return group_status(
        {"indexer", index_.name, app::group_id(config_.kafka, "indexer", index_.name),
         index_.topic, index_.dead_letter_topic},
        *io_.source, retry_, metrics_.dead_letters.value());
}

Indexer::~Indexer() = default;

void Indexer::connect_loader() {
    if (!loader_) loader_ = io_.connect_rows();
}

void Indexer::ensure_alias() {
    try {
        io_.ensure_alias();
    } catch (const kt::Error& e) {
        if (e.retryable()) {
            log::error("index {}: cannot make sure its alias exists; not ready until it can: {}",
                       index_.name, config::redact(e.what()));
        }
        throw;
    }
}

void Indexer::run(std::stop_token stop) {
    // An Elasticsearch that did not answer at start (see the constructor) keeps the indexer not
    // ready, retried with backoff, rather than exiting into a restart loop; nothing is consumed
    // until the alias exists (a stop during the wait skips the rest of run() to the close).
    if (alias_pending_) {
        (void)retry_.run(stop, [&] {
            ensure_alias();
            return true;
        });
    }
    wait_until_query_runs(stop, retry_, "index " + index_.name, [&] {
        connect_loader();
        loader_->check();
    });
    // Two batches in hand: while one is written to Elasticsearch on its own thread, the next
    // is polled and loaded from PostgreSQL here, and the one before is committed. Batches are
    // still committed in order, each only once written; a write that fails is retried here
    // with a fresh load before anything after it is committed.
    std::unique_ptr<Pending> flying;
    while (!stop.stop_requested()) {
        liveness_.beat(Clock::now());
        auto next = std::make_unique<Pending>();
        const bool got = fill_batch(stop, *next, flying.get());
        if (got) try_prepare(*next);
        std::unique_ptr<Pending> written;
        if (flying && write_settled(stop, *flying)) written = std::move(flying);
        flying.reset();
        if (got && !stop.stop_requested()) {
            flying = std::move(next);
            start_write(stop, *flying);
        }
        if (written) commit_written(stop, *written);
    }
    flying.reset();  // stopped: its write ends without waiting out retries; nothing committed
    log::info("index {}: stopping", index_.name);
    io_.source->close();
}

bool Indexer::fill_batch(std::stop_token stop, Pending& batch, const Pending* flying) {
    const auto max = static_cast<std::size_t>(index_.batch_size);
    // batch_wait gathers messages while Elasticsearch is busy with the batch before; once that
    // write is done, what has arrived is written at once rather than after batch_wait.
    std::function<bool()> written;
    if (flying != nullptr) {
        written = [flying] {
            return !flying->write.valid() ||
                   flying->write.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
        };
    }
    const bool got = io_.source->fill(stop, batch.polled, max, index_.batch_wait, written);
    batch.filled = Clock::now();
    return got;
}

void Indexer::prepare(Pending& batch) {
    if (!batch.parsed) {
        const std::vector<InMessage>& messages = batch.messages();
        batch.entries.reserve(messages.size());
        batch.message_of_entry.reserve(messages.size());
        for (std::size_t i = 0; i < messages.size(); ++i) {
            const auto& m = messages[i];
            ParsedMessage parsed = parser_.parse(m.payload);
            if (!parsed.ok) {
                batch.dead.add(i, parsed.reason);
                ++batch.poison;
                continue;
            }
            batch.message_of_entry.push_back(i);
            batch.entries.push_back({m.partition, m.offset, std::move(parsed.id)});
        }
        batch.parsed = true;
    }
    batch.actions.clear();
    batch.loaded = {};
    std::vector<std::string> ids = distinct_ids(batch.entries);
    if (!ids.empty()) {
        connect_loader();
        // One id the query cannot take must not stall the batch: it is dead-lettered alone.
        batch.loaded = load_isolating(std::move(ids), [&](const std::vector<std::string>& some) {
            return loader_->load(some);
        });
    }
    for (const RejectedId& rejected : batch.loaded.rejected) {
        batch.dead_letter_id(rejected.id, rejected.reason);
    }
    std::vector<LoadedSlice> slices;
    slices.reserve(batch.loaded.results.size());
    for (std::size_t i = 0; i < batch.loaded.results.size(); ++i) {
        slices.push_back({batch.loaded.slice_ids[i], &batch.loaded.results[i]});
    }
    batch.actions = plan_actions(slices);
    batch.prepared = true;
}

void Indexer::try_prepare(Pending& batch) {
    try {
        prepare(batch);
    } catch (const kt::Error&) {
        // Left unprepared: write_settled() loads it again and reports the failure, in order.
    }
}

void Indexer::start_write(std::stop_token stop, Pending& batch) {
    if (!batch.prepared || batch.actions.empty()) return;
    batch.prepared = false;
    batch.write = std::async(std::launch::async, [this, stop, &batch] {
        return io_.bulk->write(index_.name, batch.actions, stop);
    });
}

bool Indexer::write_settled(std::stop_token stop, Pending& batch) {
    return retry_.run(stop, [&] {
        es::WriteResult written;
        if (batch.write.valid()) {
            written = batch.write.get();  // rethrows what the write threw
        } else {
            if (!batch.prepared) prepare(batch);
            batch.prepared = false;  // whatever happens next, a retry loads again
            if (!batch.actions.empty()) {
                written = io_.bulk->write(index_.name, batch.actions, stop);
            }
        }
        return settle(stop, batch, written);
    });
}

bool Indexer::settle(std::stop_token stop, Pending& batch, const es::WriteResult& written) {
    const std::vector<es::BulkAction>& actions = batch.actions;
    WriteTally& tally = batch.tally;
    tally = {};
    tally.dead = batch.poison + batch.loaded.rejected.size();
    if (actions.empty()) return true;
    metrics_.count(written.requests);
    if (written.stopped) {
        log::info("index {}: stopped with {} document(s) unwritten; nothing committed",
                  index_.name, actions.size() - written.first_unwritten());
        return false;
    }
    const ForeignConflicts foreign = foreign_conflicts(actions, written.items);
    for (std::size_t i = 0; i < actions.size(); ++i) {
        const auto& item = written.items[i];
        if (foreign.at[i]) continue;
        if (item.outcome == es::Outcome::kDead) {
            batch.dead_letter_id(actions[i].id, fmt::format("elasticsearch {} {}: {}", item.status,
                                                            item.error_type, item.error_reason));
            ++tally.dead;
        } else if (actions[i].op == es::BulkAction::Op::kIndex) {
            ++tally.indexed;
        } else {
            ++tally.deleted;
        }
    }
    return foreign.list.empty() || repair_foreign(stop, foreign, batch);
}

void Indexer::commit_written(std::stop_token stop, Pending& batch) {
    (void)retry_.run(stop, [&] {
        // Dead letters must be acknowledged before their offsets are committed.
        metrics_.dead_letters.inc(batch.dead.deliver(*io_.dead_letters, batch.messages(),
                                                     index_.topic, std::chrono::seconds(30)));
        if (!io_.source->commit(batch.messages())) return true;  // abandoned: read again later
        liveness_.progress(Clock::now());
        const WriteTally& tally = batch.tally;
        metrics_.messages.inc(batch.messages().size());
        metrics_.indexed.inc(tally.indexed);
        metrics_.deleted.inc(tally.deleted);
        metrics_.batches_ok.inc();
        const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - batch.filled);
        metrics_.batch_seconds.observe(static_cast<double>(took.count()) / 1000.0);
        log::info("index {}: batch of {} message(s): {} indexed, {} deleted, {} dead in {} ms",
                  index_.name, batch.messages().size(), tally.indexed, tally.deleted, tally.dead,
                  took.count());
        return true;
    });
}

bool Indexer::repair_foreign(std::stop_token stop, const ForeignConflicts& foreign,
                             Pending& batch) {
    WriteTally& tally = batch.tally;
    const std::vector<ForeignConflict>& conflicts = foreign.list;
    metrics_.foreign_versions.inc(conflicts.size());
    foreign_unlogged_ += conflicts.size();
    const auto now = Clock::now();
    if (!foreign_logged_ || now - *foreign_logged_ >= kForeignLogPeriod) {
        const ForeignConflict& first = conflicts.front();
        log::warn(
            "index {}: {} document(s) changed by another writer since kt wrote them (e.g. id {} "
            "at version {}, not one of kt's); rewriting them from a newer snapshot",
            index_.name, foreign_unlogged_, first.id, first.version);
        foreign_logged_ = now;
        foreign_unlogged_ = 0;
    }
    const RepairResult repair = repair_documents(
        foreign.ids(), RepairIo{[&] { loader_->advance(); },
                                 [&](const std::vector<std::string>& some) {
                                     return loader_->load(some);
                                 },
                                 [&](std::span<const es::BulkAction> some) {
                                     return io_.bulk->write(index_.name, some, stop);
                                 }});
    metrics_.count(repair.requests);
    if (repair.stopped) {
        log::info("index {}: stopped while rewriting {} document(s) another writer changed; "
                  "nothing committed",
                  index_.name, conflicts.size());
        return false;
    }
    tally.indexed += repair.indexed;
    tally.deleted += repair.deleted;
    tally.dead += repair.rejected.size() + repair.dead.size();
    for (const RejectedId& rejected : repair.rejected) {
        batch.dead_letter_id(rejected.id, rejected.reason);
    }
    for (const auto& [id, item] : repair.dead) {
        batch.dead_letter_id(id, fmt::format("elasticsearch {} {}: {}", item.status,
                                             item.error_type, item.error_reason));
    }
    for (const Unrepaired& left : repair.left) {
        if (left.ahead) {
            log::error(
                "index {}: document {} has version {}, beyond any PostgreSQL has reached: "
                "another writer set its own external version, and kt cannot overwrite it; "
                "`kt --config {} reindex {}` rebuilds the index",
                index_.name, left.id, left.version, config_.path, index_.name);
        } else {
            log::warn("index {}: document {} was changed by another writer again while kt "
                      "rewrote it (version {}); it is rewritten when its id next arrives",
                      index_.name, left.id, left.version);
        }
    }
    return true;
}

}  // namespace kt::workers
