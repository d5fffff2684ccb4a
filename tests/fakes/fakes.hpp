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
              std::chrono::milliseconds) override {
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

}  // namespace kt::fakes
