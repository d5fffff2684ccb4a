#include "workers/reindex/reindexer.hpp"

#include <fmt/format.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <unordered_set>
#include <utility>

#include "lib/app/options_from_config.hpp"
#include "lib/es/bulk_client.hpp"
#include "lib/es/curl_transport.hpp"
#include "lib/es/index_admin.hpp"
#include "lib/es/options.hpp"
#include "lib/kafka/options.hpp"
#include "lib/kafka/range_reader.hpp"
#include "lib/log/log.hpp"
#include "lib/pg/row_scanner.hpp"
#include "lib/pg/snapshot.hpp"
#include "workers/common/doc_version.hpp"
#include "workers/common/message_parser.hpp"
#include "workers/reindex/ids.hpp"

namespace kt::workers {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kKafkaTimeout = 30s;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

es::Options es_options(const config::Config& config) {
    return app::es_options(config.elasticsearch);
}

std::string read_file(const std::string& path) {
    if (path.empty()) return {};
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(fmt::format("cannot read mappings file {}", path));
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// A bounded queue of row chunks between the snapshot readers and the bulk writers.
class ChunkQueue {
public:
    explicit ChunkQueue(std::size_t capacity) : capacity_(capacity) {}

    /// Blocks while full; false when the queue was aborted.
    bool push(std::vector<pg::Row> chunk) {
        std::unique_lock lock(mutex_);
        not_full_.wait(lock, [&] { return aborted_ || chunks_.size() < capacity_; });
        if (aborted_) return false;
        chunks_.push_back(std::move(chunk));
        not_empty_.notify_one();
        return true;
    }
    /// Blocks while empty and producers remain; nullopt at the end or when aborted.
    std::optional<std::vector<pg::Row>> pop() {
        std::unique_lock lock(mutex_);
        not_empty_.wait(lock, [&] { return aborted_ || !chunks_.empty() || producers_ == 0; });
        if (aborted_ || chunks_.empty()) return std::nullopt;
        std::vector<pg::Row> chunk = std::move(chunks_.front());
        chunks_.pop_front();
        not_full_.notify_one();
        return chunk;
    }
    void add_producer() {
        std::lock_guard lock(mutex_);
        ++producers_;
    }
    void producer_done() {
        std::lock_guard lock(mutex_);
        --producers_;
        not_empty_.notify_all();
    }
    void abort() {
        std::lock_guard lock(mutex_);
        aborted_ = true;
        not_empty_.notify_all();
        not_full_.notify_all();
    }

private:
    std::mutex mutex_;
    std::condition_variable not_full_;
    std::condition_variable not_empty_;
    std::deque<std::vector<pg::Row>> chunks_;
    std::size_t capacity_;
    int producers_ = 0;
    bool aborted_ = false;
};

/// The first failure of any thread; stops the others.
class FirstError {
public:
    void set(std::exception_ptr error) {
        std::lock_guard lock(mutex_);
        if (!error_) error_ = std::move(error);
    }
    void rethrow_if_set() {
        std::lock_guard lock(mutex_);
        if (error_) std::rethrow_exception(error_);
    }

private:
    std::mutex mutex_;
    std::exception_ptr error_;
};

/// Ids of the instant messages in [from, to) of `topic`, each once, in arrival order.
std::vector<std::string> ids_on_topic(kafka::RangeReader& reader, const std::string& topic,
                                      const kafka::PartitionOffsets& from,
                                      const kafka::PartitionOffsets& to) {
    MessageParser parser;
    std::vector<std::string> ids;
    std::unordered_set<std::string> seen;
    (void)reader.read(
        topic, from, to,
        [&](std::string_view value) {
            ParsedMessage parsed = parser.parse(value);
            if (parsed.ok && seen.insert(parsed.id).second) ids.push_back(std::move(parsed.id));
        },
        std::chrono::duration_cast<std::chrono::milliseconds>(5min));
    return ids;
}

std::uint64_t catch_up(const config::Config& config, const config::IndexConfig& index,
                       kafka::RangeReader& reader, const kafka::PartitionOffsets& from,
                       const kafka::PartitionOffsets& to, const std::string& target,
                       std::stop_token stop) {
    const std::vector<std::string> ids = ids_on_topic(reader, index.topic, from, to);
    if (ids.empty()) return 0;
    const IdsResult written = reindex_ids(config, index, ids, target, stop);
    if (!written.failed.empty()) {
        throw Error(fmt::format("{} document(s) of the catch-up refused, e.g. {}",
                                written.failed.size(), written.failed.front()));
    }
    if (!written.rejected.empty()) {
        // No row can have such an id; kt-indexer dead-letters these messages.
        log::warn("reindex {}: {} id(s) on {} rejected by the query and skipped, e.g. {}",
                  index.name, written.rejected.size(), index.topic, written.rejected.front().id);
    }
    return ids.size();
}

}  // namespace

Reindexer::Reindexer(const config::Config& config, const config::IndexConfig& index,
                     ReindexOptions options)
    : config_(config), index_(index), options_(std::move(options)) {
    if (options_.parallel < 1) options_.parallel = 1;
    if (options_.batch_size <= 0) options_.batch_size = index_.batch_size;
}

/// The snapshot one rebuild reads: exported by the rebuild, or by another session.
struct Reindexer::Snapshot {
    std::string id;
    std::int64_t count = 0;               ///< the transaction count documents are written with
    pg::ExportedSnapshot* own = nullptr;  ///< the rebuild's own export, else null
};

/// What the threads of one load share.
struct Reindexer::Load {
    Load(const std::string& index, const Snapshot& read, std::size_t parallel)
        : new_index(index),
          snapshot(read),
          version(external_version(read.count)),
          importing(parallel),
          queue((parallel + 1) * 2) {}

    /// Records the first failure and stops every thread.
    void fail(std::exception_ptr e) {
        first_error.set(std::move(e));
        abort.request_stop();
        queue.abort();
    }
    /// Counts the items of `written` that Elasticsearch refused for good, keeping one example.
    void count_refused(const std::vector<es::BulkAction>& actions, const es::WriteResult& written) {
        for (std::size_t i = 0; i < written.items.size(); ++i) {
            if (written.items[i].outcome != es::Outcome::kDead) continue;
            refused.fetch_add(1);
            std::lock_guard lock(refused_mutex);
            if (refused_example.empty()) {
                const es::ItemResult& item = written.items[i];
                refused_example =
                    fmt::format("{}: {} {}", actions[i].id, item.error_type, item.error_reason);
            }
        }
    }

    const std::string& new_index;
    const Snapshot& snapshot;
    const std::int64_t version;
    /// Readers yet to import the snapshot: the last one to do so ends the rebuild's own
    /// exporting transaction, which need not stay open (holding back vacuum) for the whole load.
    std::atomic<std::size_t> importing;
    ChunkQueue queue;
    FirstError first_error;
    std::atomic<std::uint64_t> rows_done{0};
    std::atomic<std::uint64_t> refused{0};
    std::stop_source abort;
    std::mutex refused_mutex;
    std::string refused_example;
};

void Reindexer::write_chunks(Load& load) const {
    try {
        es::BulkClientOptions bulk_options;
        bulk_options.bulk_size.max = static_cast<std::size_t>(options_.batch_size);
        es::BulkClient bulk(std::make_unique<es::CurlTransport>(es_options(config_)),
                            bulk_options);
        std::vector<es::BulkAction> actions;
        while (auto chunk = load.queue.pop()) {
            actions.clear();
            for (const pg::Row& row : *chunk) {
                actions.push_back({es::BulkAction::Op::kIndex, row.id, row.doc, load.version});
            }
            const es::WriteResult written =
                bulk.write(load.new_index, actions, load.abort.get_token());
            if (written.stopped) return;
            load.count_refused(actions, written);
            load.rows_done.fetch_add(chunk->size());
        }
    } catch (...) {
        load.fail(std::current_exception());
    }
}

void Reindexer::scan_slice(Load& load, std::size_t slice) const {
    try {
        pg::RowScanner scanner(app::pg_source(index_), config_.postgres.url);
        pg::ScanRequest request;
        request.chunk_size = static_cast<std::size_t>(options_.batch_size);
        request.snapshot_id = load.snapshot.id;
        request.slice = static_cast<int>(slice);
        request.slices = options_.parallel;
        request.on_snapshot = [&] {
            if (load.importing.fetch_sub(1) == 1 && load.snapshot.own != nullptr) {
                load.snapshot.own->release();
            }
        };
        (void)scanner.scan(request, [&](std::span<const pg::Row> rows) {
            if (!load.queue.push(std::vector<pg::Row>(rows.begin(), rows.end()))) {
                throw ReindexInterrupted();
            }
        });
    } catch (const ReindexInterrupted&) {
        // stopped: the reason is recorded elsewhere
    } catch (...) {
        load.fail(std::current_exception());
    }
    load.queue.producer_done();
}

void Reindexer::await_load(std::vector<std::jthread>& threads, const Load& load,
                           std::int64_t estimate, Clock::time_point started) const {
    // Progress while the threads work; the joiner wakes this loop when they are done.
    std::mutex m;
    std::condition_variable cv;
    bool finished = false;
    std::jthread joiner([&] {
        for (auto& t : threads) t.join();
        std::lock_guard l(m);
        finished = true;
        cv.notify_all();
    });
    std::unique_lock lock(m);
    while (!finished) {
        cv.wait_for(lock, options_.progress_every, [&] { return finished; });
        if (options_.on_progress) {
            options_.on_progress(
                ProgressSnapshot{load.rows_done.load(), estimate, seconds_since(started)});
        }
    }
}

std::uint64_t Reindexer::load(const std::string& new_index, const Snapshot& snapshot,
                              std::int64_t estimate, std::stop_token stop) {
    const auto parallel = static_cast<std::size_t>(options_.parallel);
    Load shared(new_index, snapshot, parallel);
    std::stop_callback forward(stop, [&] {
        shared.abort.request_stop();
        shared.queue.abort();
    });
    const auto started = Clock::now();

    // Producers are counted before any writer starts, so no writer sees an empty, finished queue.
    for (std::size_t s = 0; s < parallel; ++s) shared.queue.add_producer();
    std::vector<std::jthread> threads;
    const std::size_t writers = parallel + 1;  // several bulk requests in flight
    for (std::size_t w = 0; w < writers; ++w) threads.emplace_back([&] { write_chunks(shared); });
    for (std::size_t s = 0; s < parallel; ++s) {
        threads.emplace_back([&, s] { scan_slice(shared, s); });
    }
    await_load(threads, shared, estimate, started);
    shared.first_error.rethrow_if_set();
    if (stop.stop_requested()) throw ReindexInterrupted();
    if (shared.refused.load() > 0) {
        throw Error(fmt::format("Elasticsearch refused {} document(s), e.g. {}",
                                shared.refused.load(), shared.refused_example));
    }
    return shared.rows_done.load();
}

void Reindexer::finish_swap(es::IndexAdmin& admin, kafka::RangeReader& reader,
                            const kafka::PartitionOffsets& start,
                            const kafka::PartitionOffsets& loaded_to,
                            ReindexResult& result) const {
    log::info("reindex {}: alias moved to {}", index_.name, result.new_index);
    try {
        // Changes kt-indexer wrote into the old index between the first catch-up and the swap.
        if (!start.empty()) {
            const kafka::PartitionOffsets now = reader.end_offsets(index_.topic, kKafkaTimeout);
            result.caught_up +=
                catch_up(config_, index_, reader, loaded_to, now, index_.name, {});
        }
        if (!options_.keep_old) {
            for (const std::string& old : result.old_indices) {
                if (old == result.new_index) continue;
                (void)admin.delete_index(old);
                log::info("reindex {}: deleted the old {}", index_.name, old);
            }
        }
    } catch (const Error& e) {
        // The command line is kt's to suggest: it knows the options the user gave.
        throw SwapNotFinished(fmt::format("the alias moved to {}, but finishing failed ({})",
                                          result.new_index, e.what()),
                              result.new_index);
    }
}

std::uint64_t Reindexer::load_from_snapshot(ReindexResult& result, std::int64_t estimate,
                                            std::stop_token stop) {
    std::optional<pg::ExportedSnapshot> own;
    Snapshot snapshot;
    if (options_.snapshot_id.empty()) {
        own.emplace(config_.postgres.url);
        snapshot = {own->id(), own->version(), &*own};
    } else {
        const pg::ImportedCounts counts =
            pg::imported_counts(config_.postgres.url, options_.snapshot_id);
        const std::int64_t count = imported_snapshot_count(counts.imported, counts.after);
        snapshot = {options_.snapshot_id, count, nullptr};
        log::info("reindex {}: reading the imported snapshot {} (transaction count {}; "
                  "{} just after it, written as the version)",
                  index_.name, snapshot.id, counts.imported, count);
    }
    result.version = snapshot.count;
    result.snapshot_id = snapshot.id;
    result.imported = !own.has_value();
    return load(result.new_index, snapshot, estimate, stop);
}

ReindexResult Reindexer::run(std::stop_token stop) {
    const auto started = Clock::now();
    ReindexResult result;
    es::IndexAdmin admin(std::make_unique<es::CurlTransport>(es_options(config_)));
    result.old_indices = admin.indices_of_alias(index_.name);
    if (result.old_indices.empty() && admin.exists(index_.name)) {
        throw Error(
            fmt::format("an index named {0} exists, so {0} cannot become an alias; "
                        "delete or rename it first",
                        index_.name));
    }
    const LoadSettings settings = load_settings(read_file(index_.mappings_file));
    kafka::RangeReader reader(app::kafka_options(config_.kafka));
    // Noted before the snapshot: every id produced after this point is re-loaded later.
    const kafka::PartitionOffsets start = reader.end_offsets(index_.topic, kKafkaTimeout);
    if (start.empty()) {
        log::warn("reindex {}: topic {} does not exist; no catch-up of concurrent changes",
                  index_.name, index_.topic);
    }
    result.new_index = es::physical_index_name(index_.name, std::chrono::system_clock::now());
    kafka::PartitionOffsets loaded_to;
    bool ours = true;  // false: the name belongs to an index someone else created
    try {
        try {
            admin.create_index(result.new_index, settings.create_body);
        } catch (const EsError& e) {
            ours = e.type() != "resource_already_exists_exception";
            throw;
        }
        log::info("reindex {}: created {} (refresh off, no replicas)", index_.name,
                  result.new_index);
        std::int64_t estimate = -1;
        {
            pg::RowScanner probe(app::pg_source(index_), config_.postgres.url);
            estimate = probe.estimate_rows();
        }
        const auto load_started = Clock::now();
        result.rows = load_from_snapshot(result, estimate, stop);
        result.load_seconds = seconds_since(load_started);
        if (!start.empty()) {
            loaded_to = reader.end_offsets(index_.topic, kKafkaTimeout);
            result.caught_up +=
                catch_up(config_, index_, reader, start, loaded_to, result.new_index, stop);
        }
        if (stop.stop_requested()) throw ReindexInterrupted();
        admin.put_settings(result.new_index, settings.restore_body);
        admin.refresh(result.new_index);
        if (stop.stop_requested()) throw ReindexInterrupted();
        if (!options_.no_swap) {
            admin.update_aliases(swap_actions(index_.name, result.old_indices, result.new_index));
            result.swapped = true;
        }
    } catch (...) {
        // Also when creating it failed: Elasticsearch may have created the index all the same
        // (a timeout, a 5xx from a proxy), which must not be left behind.
        try {
            if (ours && admin.delete_index(result.new_index)) {
                log::info("reindex {}: deleted the unfinished {}; the alias is unchanged",
                          index_.name, result.new_index);
            }
        } catch (const std::exception& e) {
            log::error("reindex {}: could not delete the unfinished {}: {}", index_.name,
                       result.new_index, e.what());
        }
        throw;
    }
    if (result.swapped) finish_swap(admin, reader, start, loaded_to, result);
    result.total_seconds = seconds_since(started);
    return result;
}

}  // namespace kt::workers
