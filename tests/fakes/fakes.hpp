#pragma once

// In-memory collaborators of the worker loops (workers/common/ports.hpp), so that each loop
// decision is a fast unit test with no network. Each is thread-safe where the loop shares it
// with the test (the loop runs on its own thread; the test waits on conditions with deadlines).

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "lib/error.hpp"
#include "lib/kafka/error.hpp"
#include "lib/kafka/topic_partition.hpp"
#include "lib/pg/error.hpp"
#include "workers/common/batch_plan.hpp"
#include "workers/common/ports.hpp"

namespace kt::fakes {

/// Waits until `done()` holds or `timeout` passes; returns whether it holds.
inline bool wait_until(const std::function<bool()>& done,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));  // polls the condition
    }
    return true;
}

/// One message of a FakeSource.
struct FakeMessage {
    FakeMessage(std::int32_t p, std::int64_t o, std::string value,
                std::optional<std::string> k = std::nullopt)
        : partition(p), offset(o), payload(std::move(value)), key(std::move(k)) {}

    std::int32_t partition = 0;
    std::int64_t offset = 0;
    std::string payload;
    std::optional<std::string> key;
};

/// A topic in memory: hands out the batches pushed to it, records the commits. A revoked
/// partition's messages are dropped from the batch that polled them, as Kafka's rebalance
/// does to a BatchConsumer.
class FakeSource final : public workers::MessageSource {
public:
    /// The next fill() returns these messages.
    void push(std::vector<FakeMessage> batch) {
        std::lock_guard lock(mutex_);
        batches_.push_back(std::move(batch));
        cv_.notify_all();
    }
    /// `partition` is revoked while the next batch is polled.
    void revoke_while_polling(std::int32_t partition) {
        std::lock_guard lock(mutex_);
        revoked_.insert(partition);
    }
    /// The next `n` commits are refused as by a member that lost its place in the group.
    void refuse_commits(int n) {
        std::lock_guard lock(mutex_);
        refuse_ = n;
    }
    /// Next offset committed per partition.
    [[nodiscard]] std::map<std::int32_t, std::int64_t> committed() const {
        std::lock_guard lock(mutex_);
        return committed_;
    }
    /// How many batches fill() handed out.
    [[nodiscard]] int filled() const {
        std::lock_guard lock(mutex_);
        return filled_;
    }

    bool fill(const std::stop_token& stop, workers::InBatch& out, std::size_t,
              std::chrono::milliseconds, const std::function<bool()>&) override {
        std::unique_lock lock(mutex_);
        // Like a poll that finds nothing: wait a little (or for a push), then come back.
        cv_.wait_for(lock, stop, std::chrono::milliseconds(20), [&] { return !batches_.empty(); });
        if (batches_.empty()) return false;
        auto storage = std::make_shared<std::vector<FakeMessage>>(std::move(batches_.front()));
        batches_.pop_front();
        for (const auto& m : *storage) {
            std::optional<std::string_view> key;
            if (m.key) key = *m.key;
            out.messages.push_back({m.partition, m.offset, m.payload, key});
        }
        out.storage = std::move(storage);
        std::set<std::int32_t> assigned;
        for (const auto& m : out.messages) {
            if (revoked_.count(m.partition) == 0) assigned.insert(m.partition);
        }
        revoked_.clear();
        workers::drop_revoked(out.messages, assigned);
        ++filled_;
        return !out.messages.empty();
    }

    bool commit(std::span<const workers::InMessage> messages) override {
        std::lock_guard lock(mutex_);
        if (refuse_ > 0) {
            --refuse_;
            return false;
        }
        for (const auto& c : workers::commit_offsets("topic", messages)) {
            committed_[c.partition] = c.offset;
        }
        return true;
    }

    [[nodiscard]] std::map<std::int32_t, std::int64_t> lag() const override { return {}; }
    [[nodiscard]] std::vector<http::PartitionStatus> partitions() const override { return {}; }
    void close() noexcept override {}

private:
    mutable std::mutex mutex_;
    std::condition_variable_any cv_;
    std::deque<std::vector<FakeMessage>> batches_;
    std::set<std::int32_t> revoked_;
    std::map<std::int32_t, std::int64_t> committed_;
    int refuse_ = 0;
    int filled_ = 0;
};

/// A dead-letter topic in memory: keeps what was acknowledged; fails flushes on demand.
class FakeDeadLetters final : public workers::DeadLetterSink {
public:
    /// The next `n` flushes fail (retryably); -1: every one.
    void fail_flushes(int n) {
        std::lock_guard lock(mutex_);
        fail_ = n;
    }
    /// Offsets of the acknowledged dead letters, with their reasons.
    [[nodiscard]] std::vector<std::pair<std::int64_t, std::string>> acknowledged() const {
        std::lock_guard lock(mutex_);
        return acknowledged_;
    }
    /// Flushes tried so far.
    [[nodiscard]] int flushes() const {
        std::lock_guard lock(mutex_);
        return flushes_;
    }

    void send(std::string_view, std::optional<std::string_view>, const std::string& reason,
              std::string_view, std::int32_t, std::int64_t offset) override {
        std::lock_guard lock(mutex_);
        queued_.emplace_back(offset, reason);
    }
    void flush(std::chrono::milliseconds) override {
        std::lock_guard lock(mutex_);
        ++flushes_;
        if (fail_ != 0) {
            if (fail_ > 0) --fail_;
            queued_.clear();
            throw Error("dead-letter topic refused the write", true);
        }
        acknowledged_.insert(acknowledged_.end(), queued_.begin(), queued_.end());
        queued_.clear();
    }

private:
    mutable std::mutex mutex_;
    std::vector<std::pair<std::int64_t, std::string>> queued_;
    std::vector<std::pair<std::int64_t, std::string>> acknowledged_;
    int fail_ = 0;
    int flushes_ = 0;
};

/// A table in memory: id → document; every load is one snapshot of version `version`.
class FakeRows final : public workers::RowSource {
public:
    explicit FakeRows(std::map<std::string, std::string> docs, std::int64_t version = 1)
        : docs_(std::move(docs)), version_(version) {}

    pg::LoadResult load(const std::vector<std::string>& ids) override {
        auto copy = std::make_shared<std::map<std::string, std::string>>(docs_);
        pg::LoadResult result;
        result.version = version_;
        for (const auto& id : ids) {
            const auto it = copy->find(id);
            if (it != copy->end()) result.rows.push_back({it->first, it->second});
        }
        result.storage = std::move(copy);
        return result;
    }
    void check() override {}
    void advance() override { ++version_; }

private:
    std::map<std::string, std::string> docs_;
    std::int64_t version_;
};

/// An index in memory: records what each write held; fails writes on demand.
class FakeBulk final : public workers::BulkWriter {
public:
    /// The next `n` writes throw a retryable kt::Error; -1: every one.
    void fail_writes(int n) {
        std::lock_guard lock(mutex_);
        fail_ = n;
    }
    /// Writes tried so far.
    [[nodiscard]] int writes() const {
        std::lock_guard lock(mutex_);
        return writes_;
    }
    /// `index <id>` or `delete <id>` per action written, in order.
    [[nodiscard]] std::vector<std::string> written() const {
        std::lock_guard lock(mutex_);
        return written_;
    }

    es::WriteResult write(std::string_view, std::span<const es::BulkAction> actions,
                          std::stop_token) override {
        std::lock_guard lock(mutex_);
        ++writes_;
        if (fail_ != 0) {
            if (fail_ > 0) --fail_;
            throw Error("elasticsearch: 503 Service Unavailable", true);
        }
        es::WriteResult result;
        for (const auto& a : actions) {
            const bool index = a.op == es::BulkAction::Op::kIndex;
            written_.push_back((index ? "index " : "delete ") + std::string(a.id));
            result.items.push_back({es::Outcome::kDone, 200, {}, {}});
        }
        result.requests.ok = 1;
        return result;
    }

private:
    mutable std::mutex mutex_;
    std::vector<std::string> written_;
    int fail_ = 0;
    int writes_ = 0;
};

/// An association query in memory: parent id → child ids. A parent id listed as rejected makes
/// any query that holds it fail as PostgreSQL does for an id it cannot cast.
class FakeChildren final : public workers::ChildSource {
public:
    explicit FakeChildren(std::map<std::string, std::vector<std::string>> children,
                          std::set<std::string> rejected = {})
        : children_(std::move(children)), rejected_(std::move(rejected)) {}

    std::size_t stream(const std::vector<std::string>& parent_ids, std::size_t chunk_size,
                       const workers::ChildChunkFn& on_chunk) override {
        std::vector<std::string> found;
        for (const auto& id : parent_ids) {
            if (rejected_.count(id) != 0) {
                throw pg::IdRejected("invalid input syntax for type bigint: \"" + id + "\"",
                                     "22P02");
            }
            const auto it = children_.find(id);
            if (it == children_.end()) continue;
            found.insert(found.end(), it->second.begin(), it->second.end());
        }
        for (std::size_t i = 0; i < found.size(); i += chunk_size) {
            const std::size_t n = std::min(chunk_size, found.size() - i);
            on_chunk(std::span<const std::string>(found).subspan(i, n));
        }
        return found.size();
    }
    void check() override {}

private:
    std::map<std::string, std::vector<std::string>> children_;
    std::set<std::string> rejected_;
};

/// A topic producer in memory: keeps the keys of the acknowledged messages; refuses flushes on
/// demand.
class FakeTarget final : public workers::MessageSink {
public:
    /// The next `n` flushes report one refused message; -1: every one.
    void refuse_flushes(int n) {
        std::lock_guard lock(mutex_);
        refuse_ = n;
    }
    /// Keys of the acknowledged messages, in order.
    [[nodiscard]] std::vector<std::string> acknowledged() const {
        std::lock_guard lock(mutex_);
        return acknowledged_;
    }
    /// Flushes tried so far.
    [[nodiscard]] int flushes() const {
        std::lock_guard lock(mutex_);
        return flushes_;
    }

    bool produce(std::string_view, std::string_view key, std::string_view,
                 const std::stop_token&) override {
        std::lock_guard lock(mutex_);
        queued_.emplace_back(key);
        return true;
    }
    void poll() override {}
    std::optional<workers::Flushed> flush(std::chrono::milliseconds) override {
        std::lock_guard lock(mutex_);
        ++flushes_;
        if (refuse_ != 0) {
            if (refuse_ > 0) --refuse_;
            queued_.clear();
            return workers::Flushed{1, "Broker: Not enough in-sync replicas"};
        }
        acknowledged_.insert(acknowledged_.end(), queued_.begin(), queued_.end());
        queued_.clear();
        return workers::Flushed{};
    }
    [[nodiscard]] std::size_t in_flight() const override {
        std::lock_guard lock(mutex_);
        return queued_.size();
    }

private:
    mutable std::mutex mutex_;
    std::vector<std::string> queued_;
    std::vector<std::string> acknowledged_;
    int refuse_ = 0;
    int flushes_ = 0;
};

/// A Sleeper that does not wait: it records each delay asked for and returns at once, so a
/// loop's retries run as fast as the test needs them.
class ManualSleeper {
public:
    /// The delays asked for so far.
    [[nodiscard]] std::vector<std::chrono::milliseconds> delays() const {
        std::lock_guard lock(mutex_);
        return delays_;
    }
    /// The Sleeper to hand to a loop; `this` must outlive it.
    [[nodiscard]] workers::Sleeper sleeper() {
        return [this](std::chrono::milliseconds delay, const std::stop_token& stop) {
            {
                std::lock_guard lock(mutex_);
                delays_.push_back(delay);
            }
            std::this_thread::yield();
            return !stop.stop_requested();
        };
    }

private:
    mutable std::mutex mutex_;
    std::vector<std::chrono::milliseconds> delays_;
};

/// A TimeSource whose time moves only when the test says: steady and wall time advance together.
class ManualClock final : public workers::TimeSource {
public:
    /// Starts at `wall` (a fixed unix time by default).
    explicit ManualClock(std::chrono::system_clock::time_point wall =
                             std::chrono::system_clock::time_point(std::chrono::hours(472222)))
        : wall_(wall) {}

    /// Moves both clocks forward by `by`.
    void advance(std::chrono::milliseconds by) {
        std::lock_guard lock(mutex_);
        steady_ += by;
        wall_ += by;
    }
    /// The wall time in unix seconds, as envelopes write it.
    [[nodiscard]] double unix_seconds() const {
        return std::chrono::duration<double>(wall().time_since_epoch()).count();
    }

    [[nodiscard]] std::chrono::steady_clock::time_point steady() const override {
        std::lock_guard lock(mutex_);
        return steady_;
    }
    [[nodiscard]] std::chrono::system_clock::time_point wall() const override {
        std::lock_guard lock(mutex_);
        return wall_;
    }

private:
    mutable std::mutex mutex_;
    std::chrono::steady_clock::time_point steady_{std::chrono::hours(1)};
    std::chrono::system_clock::time_point wall_;
};

/// A topic in memory with a group of one: partitions are logs the test appends to; the member
/// is assigned `partitions` when it opens, is revoked or assigned more when the test says (in
/// its next poll, as Kafka does), and keeps a fetch position per partition that pause, resume
/// and seek steer. Records commits, pauses and resumes.
class FakePartitionConsumer final : public workers::PartitionConsumer {
public:
    explicit FakePartitionConsumer(std::vector<std::int32_t> partitions)
        : partitions_(std::move(partitions)) {}

    /// Appends a message to `partition`; returns its offset.
    std::int64_t append(std::int32_t partition, std::string value,
                        std::optional<std::string> key = std::nullopt,
                        std::optional<std::int64_t> timestamp_ms = std::nullopt) {
        std::lock_guard lock(mutex_);
        auto& log = logs_[partition];
        log.push_back({std::move(value), std::move(key), timestamp_ms});
        cv_.notify_all();
        return static_cast<std::int64_t>(log.size()) - 1;
    }
    /// `partitions` are revoked in the next poll.
    void revoke(std::vector<std::int32_t> partitions) {
        std::lock_guard lock(mutex_);
        to_revoke_.insert(to_revoke_.end(), partitions.begin(), partitions.end());
    }
    /// Next offset committed per partition.
    [[nodiscard]] std::map<std::int32_t, std::int64_t> committed() const {
        std::lock_guard lock(mutex_);
        return committed_;
    }
    /// True while `partition` is paused.
    [[nodiscard]] bool paused(std::int32_t partition) const {
        std::lock_guard lock(mutex_);
        return paused_.count(partition) != 0;
    }
    /// How often `partition` was paused and resumed (resuming an unpaused one counts not).
    [[nodiscard]] std::pair<int, int> pauses(std::int32_t partition) const {
        std::lock_guard lock(mutex_);
        const auto p = pause_count_.find(partition);
        const auto r = resume_count_.find(partition);
        return {p == pause_count_.end() ? 0 : p->second, r == resume_count_.end() ? 0 : r->second};
    }
    /// Polls so far.
    [[nodiscard]] int polls() const {
        std::lock_guard lock(mutex_);
        return polls_;
    }
    /// True while the member is in the group.
    [[nodiscard]] bool in_group() const {
        std::lock_guard lock(mutex_);
        return open_;
    }

    void open(workers::PartitionHooks hooks) override {
        std::lock_guard lock(mutex_);
        hooks_ = std::move(hooks);
        open_ = true;
        to_assign_ = partitions_;
    }

    void poll(std::vector<workers::PolledMessage>& out, std::size_t max,
              std::chrono::milliseconds timeout) override {
        const bool assigned = run_hooks();
        std::unique_lock lock(mutex_);
        ++polls_;
        // As in Kafka, fetching starts after the poll that brought the assignment.
        if (assigned) return;
        // Waits a little for a message (real time: the loop's clock is the test's), then
        // returns what the unpaused partitions hold past their positions.
        if (timeout.count() > 0 && !fetchable()) {
            cv_.wait_for(lock, std::chrono::milliseconds(2), [&] { return fetchable(); });
        }
        for (auto& [partition, position] : positions_) {
            if (paused_.count(partition) != 0) continue;
            const auto& log = logs_[partition];
            while (out.size() < max && position < static_cast<std::int64_t>(log.size())) {
                const Stored& m = log[static_cast<std::size_t>(position)];
                std::optional<std::string_view> key;
                if (m.key) key = *m.key;
                out.push_back({partition, position, m.value, key, m.timestamp_ms});
                ++position;
            }
        }
    }

    void commit(const std::vector<kafka::TopicPartition>& offsets) override {
        std::lock_guard lock(mutex_);
        for (const auto& c : offsets) committed_[c.partition] = c.offset;
    }
    std::vector<kafka::TopicPartition> committed(
        const std::vector<kafka::TopicPartition>& partitions,
        std::chrono::milliseconds) override {
        std::lock_guard lock(mutex_);
        std::vector<kafka::TopicPartition> out;
        for (const auto& p : partitions) {
            const auto it = committed_.find(p.partition);
            out.push_back({p.topic, p.partition,
                           it == committed_.end() ? kafka::kNoOffset : it->second});
        }
        return out;
    }
    void pause(const std::vector<kafka::TopicPartition>& partitions) override {
        std::lock_guard lock(mutex_);
        for (const auto& p : partitions) {
            if (paused_.insert(p.partition).second) ++pause_count_[p.partition];
        }
    }
    void resume(const std::vector<kafka::TopicPartition>& partitions) override {
        std::lock_guard lock(mutex_);
        for (const auto& p : partitions) {
            if (paused_.erase(p.partition) != 0) ++resume_count_[p.partition];
        }
        cv_.notify_all();
    }
    void seek(const std::vector<kafka::TopicPartition>& partitions,
              std::chrono::milliseconds) override {
        std::lock_guard lock(mutex_);
        for (const auto& p : partitions) {
            const auto it = positions_.find(p.partition);
            if (it != positions_.end()) it->second = p.offset;
        }
    }
    [[nodiscard]] std::optional<kafka::Watermarks> watermarks(
        std::int32_t partition) const override {
        std::lock_guard lock(mutex_);
        const auto it = logs_.find(partition);
        const auto size = it == logs_.end() ? 0 : static_cast<std::int64_t>(it->second.size());
        return kafka::Watermarks{0, size};
    }

    void close() override {
        std::vector<kafka::TopicPartition> parts;
        workers::PartitionHooks hooks;
        {
            std::lock_guard lock(mutex_);
            if (!open_) return;
            for (const auto& [partition, position] : positions_) {
                parts.push_back({"topic", partition, kafka::kNoOffset});
            }
            hooks = hooks_;
        }
        if (!parts.empty() && hooks.on_revoked) hooks.on_revoked(parts);
        std::lock_guard lock(mutex_);
        positions_.clear();
        paused_.clear();
        to_assign_.clear();
        to_revoke_.clear();
        open_ = false;
    }

private:
    struct Stored {
        std::string value;
        std::optional<std::string> key;
        std::optional<std::int64_t> timestamp_ms;
    };

    /// Runs the assignment changes the test asked for, outside the lock (the hooks commit);
    /// true when partitions were assigned.
    bool run_hooks() {
        std::vector<kafka::TopicPartition> revoked;
        std::vector<kafka::TopicPartition> assigned;
        workers::PartitionHooks hooks;
        {
            std::lock_guard lock(mutex_);
            for (const auto p : to_revoke_) {
                if (positions_.count(p) != 0) revoked.push_back({"topic", p, kafka::kNoOffset});
            }
            for (const auto p : to_assign_) assigned.push_back({"topic", p, kafka::kNoOffset});
            to_revoke_.clear();
            to_assign_.clear();
            hooks = hooks_;
        }
        if (!revoked.empty()) {
            if (hooks.on_revoked) hooks.on_revoked(revoked);
            std::lock_guard lock(mutex_);
            for (const auto& p : revoked) {
                positions_.erase(p.partition);
                paused_.erase(p.partition);
            }
        }
        if (!assigned.empty()) {
            {
                // A new assignment starts at the committed offset.
                std::lock_guard lock(mutex_);
                for (const auto& p : assigned) {
                    const auto it = committed_.find(p.partition);
                    positions_[p.partition] = it == committed_.end() ? 0 : it->second;
                }
            }
            if (hooks.on_assigned) hooks.on_assigned(assigned);
        }
        return !assigned.empty();
    }
    [[nodiscard]] bool fetchable() const {
        for (const auto& [partition, position] : positions_) {
            const auto it = logs_.find(partition);
            if (paused_.count(partition) == 0 && it != logs_.end() &&
                position < static_cast<std::int64_t>(it->second.size())) {
                return true;
            }
        }
        return false;
    }

    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::int32_t> partitions_;
    /// Logs per partition; a deque, so the views poll() hands out stay valid as tests append.
    std::map<std::int32_t, std::deque<Stored>> logs_;
    std::map<std::int32_t, std::int64_t> positions_;  ///< assigned partitions: next offset
    std::set<std::int32_t> paused_;
    std::map<std::int32_t, int> pause_count_;
    std::map<std::int32_t, int> resume_count_;
    std::map<std::int32_t, std::int64_t> committed_;
    std::vector<std::int32_t> to_assign_;
    std::vector<std::int32_t> to_revoke_;
    workers::PartitionHooks hooks_;
    bool open_ = false;
    int polls_ = 0;
};

/// One message a FakeTaggedSink took.
struct SentRecord {
    std::string topic;
    std::optional<std::string> key;
    std::string value;
    std::map<std::string, std::string> headers;
};

/// A producer in memory. Per topic, it can refuse messages at once (produce() throws), report
/// them refused (retryably or for good), or hold their acknowledgements until the test lets
/// them go; otherwise a flush acknowledges everything queued.
class FakeTaggedSink final : public workers::TaggedSink {
public:
    /// produce() to `topic` throws KafkaError `code` (0: stops refusing).
    void refuse(const std::string& topic, kafka::ErrorCode code) {
        std::lock_guard lock(mutex_);
        refuse_[topic] = code;
    }
    /// The next `n` messages to `topic` are reported failed with `code`; -1: every one.
    void fail(const std::string& topic, kafka::ErrorCode code, int n = -1) {
        std::lock_guard lock(mutex_);
        fail_[topic] = {code, n};
    }
    /// Messages to `topic` wait for release() before they are acknowledged.
    void hold(const std::string& topic) {
        std::lock_guard lock(mutex_);
        held_.insert(topic);
    }
    /// Acknowledges held messages from now on.
    void release(const std::string& topic) {
        std::lock_guard lock(mutex_);
        held_.erase(topic);
        cv_.notify_all();
    }
    /// The next produce() throws a fatal KafkaError.
    void fail_fatally() {
        std::lock_guard lock(mutex_);
        fatal_ = true;
    }
    /// Messages acknowledged so far, in order.
    [[nodiscard]] std::vector<SentRecord> acknowledged() const {
        std::lock_guard lock(mutex_);
        return acknowledged_;
    }
    /// Values of the acknowledged messages to `topic`, in order.
    [[nodiscard]] std::vector<std::string> acknowledged(const std::string& topic) const {
        std::lock_guard lock(mutex_);
        std::vector<std::string> out;
        for (const auto& r : acknowledged_) {
            if (r.topic == topic) out.push_back(r.value);
        }
        return out;
    }
    /// How many messages to `topic` produce() took (attempts, acknowledged or not).
    [[nodiscard]] int produced(const std::string& topic) const {
        std::lock_guard lock(mutex_);
        const auto it = produced_.find(topic);
        return it == produced_.end() ? 0 : it->second;
    }
    /// Flushes tried so far.
    [[nodiscard]] int flushes() const {
        std::lock_guard lock(mutex_);
        return flushes_;
    }
    /// How often the producer was replaced.
    [[nodiscard]] int resets() const {
        std::lock_guard lock(mutex_);
        return resets_;
    }

    void produce(const workers::OutRecord& record) override {
        std::lock_guard lock(mutex_);
        const std::string topic(record.topic);
        if (fatal_) {
            fatal_ = false;
            throw kafka::KafkaError("produce", kafka::ErrorCode::kFatal, false, true);
        }
        const auto refused = refuse_.find(topic);
        if (refused != refuse_.end() && refused->second != kafka::ErrorCode::kNoError) {
            throw kafka::KafkaError("produce to " + topic, refused->second);
        }
        ++produced_[topic];
        SentRecord sent{topic, std::nullopt, std::string(record.value), {}};
        if (record.key) sent.key.emplace(*record.key);
        for (const auto& h : record.headers) sent.headers[std::string(h.name)] = h.value;
        queued_.emplace_back(record.tag, std::move(sent));
    }
    bool flush(std::chrono::milliseconds timeout) override {
        std::unique_lock lock(mutex_);
        ++flushes_;
        settle();
        if (queued_.empty()) return true;
        // Waits a little (real time) for a release, as a flush waits for the broker.
        if (timeout.count() > 0) cv_.wait_for(lock, std::chrono::milliseconds(2));
        settle();
        return queued_.empty();
    }
    void poll(std::vector<workers::TaggedReport>& out) override {
        std::lock_guard lock(mutex_);
        out.insert(out.end(), reports_.begin(), reports_.end());
        reports_.clear();
    }
    [[nodiscard]] std::size_t in_flight() const override {
        std::lock_guard lock(mutex_);
        return queued_.size();
    }
    void reset() override {
        std::lock_guard lock(mutex_);
        ++resets_;
        queued_.clear();  // a replaced producer's messages get no report
    }

private:
    /// Reports every queued message whose topic is not held.
    void settle() {
        std::deque<std::pair<std::uint64_t, SentRecord>> waiting;
        for (auto& [tag, sent] : queued_) {
            if (held_.count(sent.topic) != 0) {
                waiting.emplace_back(tag, std::move(sent));
                continue;
            }
            auto failing = fail_.find(sent.topic);
            if (failing != fail_.end() && failing->second.second != 0) {
                if (failing->second.second > 0) --failing->second.second;
                reports_.push_back({tag, failing->second.first});
                continue;
            }
            reports_.push_back({tag, kafka::ErrorCode::kNoError});
            acknowledged_.push_back(std::move(sent));
        }
        queued_ = std::move(waiting);
    }

    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::pair<std::uint64_t, SentRecord>> queued_;
    std::vector<workers::TaggedReport> reports_;
    std::vector<SentRecord> acknowledged_;
    std::map<std::string, kafka::ErrorCode> refuse_;
    std::map<std::string, std::pair<kafka::ErrorCode, int>> fail_;
    std::set<std::string> held_;
    std::map<std::string, int> produced_;
    bool fatal_ = false;
    int flushes_ = 0;
    int resets_ = 0;
};

}  // namespace kt::fakes
