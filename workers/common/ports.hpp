#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "lib/es/bulk_body.hpp"
#include "lib/es/bulk_client.hpp"
#include "lib/http/status_report.hpp"
#include "lib/kafka/error.hpp"
#include "lib/kafka/topic_partition.hpp"
#include "lib/pg/row_loader.hpp"

// The narrow interfaces through which the worker loops reach Kafka, PostgreSQL and
// Elasticsearch. The mains build the real ones (workers/common/clients.hpp); the unit tests pass
// the in-memory ones of tests/fakes/.
namespace kt::workers {

/// One consumed message as a loop sees it: views into the storage of its InBatch.
struct InMessage {
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    std::string_view payload;
    std::optional<std::string_view> key;
};

/// Messages polled together, with what their views point into.
struct InBatch {
    std::vector<InMessage> messages;
    std::shared_ptr<const void> storage;
};

/// A consumer-group member on one topic that hands out batches and commits them. The loop
/// methods run on the loop's thread; lag() and partitions() on any.
class MessageSource {
public:
    virtual ~MessageSource() = default;
    /// Fills the empty `out` with up to `max` messages of the partitions this member still owns:
    /// waits a while for the first, then until `wait` has passed since it or `max` is reached.
    /// Stops waiting, with what it has, as soon as `stop_waiting` (when given) answers true: the
    /// caller has something to do (its write in flight finished). Returns false when nothing
    /// arrived.
    virtual bool fill(const std::stop_token& stop, InBatch& out, std::size_t max,
                      std::chrono::milliseconds wait,
                      const std::function<bool()>& stop_waiting) = 0;
    /// Commits one past the highest offset of `messages` per partition. Returns false, having
    /// committed nothing, when this member lost its place in the group (the batch is then
    /// abandoned: its partitions' owner reads it again). Throws kt::Error otherwise.
    [[nodiscard]] virtual bool commit(std::span<const InMessage> messages) = 0;
    /// Messages not yet committed, per assigned partition.
    [[nodiscard]] virtual std::map<std::int32_t, std::int64_t> lag() const = 0;
    /// The status rows of the assigned partitions.
    [[nodiscard]] virtual std::vector<http::PartitionStatus> partitions() const = 0;
    /// Leaves the group; logs instead of throwing.
    virtual void close() noexcept = 0;
};

/// Where poison messages go: a dead-letter topic.
class DeadLetterSink {
public:
    virtual ~DeadLetterSink() = default;
    /// Queues one dead letter for the message at `source_topic`:`partition`@`offset`.
    virtual void send(std::string_view value, std::optional<std::string_view> key,
                      const std::string& reason, std::string_view source_topic,
                      std::int32_t partition, std::int64_t offset) = 0;
    /// Waits until every queued dead letter is acknowledged; throws a retryable kt::Error when
    /// any was refused or is still unacknowledged after `timeout`.
    virtual void flush(std::chrono::milliseconds timeout) = 0;
};

/// The rows of an index's query (pg::RowLoader).
class RowSource {
public:
    virtual ~RowSource() = default;
    /// Rows for `ids` and their snapshot's version; throws as pg::RowLoader::load.
    [[nodiscard]] virtual pg::LoadResult load(const std::vector<std::string>& ids) = 0;
    /// The query with no ids; throws pg::QueryError when it cannot run.
    virtual void check() = 0;
    /// Makes later snapshots newer than every earlier one (pg::RowLoader::advance).
    virtual void advance() = 0;
};

/// Bulk writes into an index (es::BulkClient).
class BulkWriter {
public:
    virtual ~BulkWriter() = default;
    /// Writes `actions` into `index`, retrying items until each is done or dead, or `stop`.
    /// Throws kt::Error when the index cannot be written at all.
    virtual es::WriteResult write(std::string_view index, std::span<const es::BulkAction> actions,
                                  std::stop_token stop) = 0;
};

/// Takes one chunk of child ids.
using ChildChunkFn = std::function<void(std::span<const std::string> children)>;

/// Child ids of parent ids: a cascade's association query (pg::ChildQuery).
class ChildSource {
public:
    virtual ~ChildSource() = default;
    /// Streams the child ids of `parent_ids`, at most `chunk_size` per call of `on_chunk`;
    /// returns how many were handed over. Throws as pg::ChildQuery::stream (pg::IdRejected when
    /// a parent id causes a data error); an exception of `on_chunk` propagates as is.
    virtual std::size_t stream(const std::vector<std::string>& parent_ids, std::size_t chunk_size,
                               const ChildChunkFn& on_chunk) = 0;
    /// The query with no parent ids; throws pg::QueryError when it cannot run.
    virtual void check() = 0;
};

/// What a flush of a MessageSink found: how many messages were refused, and the first reason.
struct Flushed {
    std::uint64_t failed = 0;
    std::string first_error;  ///< empty when none failed
};

/// A topic producer (kafka::Producer) as the cascader uses it.
class MessageSink {
public:
    virtual ~MessageSink() = default;
    /// Queues `value` keyed `key` to `topic`, waiting for room in a full queue; false, with
    /// nothing queued, when `stop` was requested first. Throws kt::Error.
    virtual bool produce(std::string_view topic, std::string_view key, std::string_view value,
                         const std::stop_token& stop) = 0;
    /// Serves delivery reports without waiting.
    virtual void poll() = 0;
    /// Waits up to `timeout` for every queued message to be acknowledged or refused; nullopt
    /// when some are still in flight then. Throws kt::Error for other failures.
    virtual std::optional<Flushed> flush(std::chrono::milliseconds timeout) = 0;
    /// Messages queued or in flight.
    [[nodiscard]] virtual std::size_t in_flight() const = 0;
};

/// Waits `delay` unless `stop` fires first; false when stopped.
using Sleeper = std::function<bool(std::chrono::milliseconds delay, const std::stop_token& stop)>;

/// The time as a loop reads it: steady time for intervals, wall time for what messages carry
/// (due times). Thread-safe.
class TimeSource {
public:
    virtual ~TimeSource() = default;
    /// Now, on a clock that never goes back.
    [[nodiscard]] virtual std::chrono::steady_clock::time_point steady() const = 0;
    /// Now, as unix time.
    [[nodiscard]] virtual std::chrono::system_clock::time_point wall() const = 0;
};

/// One consumed message of a PartitionConsumer: views valid until its next poll() or close().
struct PolledMessage {
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    std::string_view payload;
    std::optional<std::string_view> key;
    std::optional<std::int64_t> timestamp_ms;  ///< Kafka timestamp, ms since the epoch
};

/// Assignment changes, run inside PartitionConsumer::poll() and close() before the assignment
/// changes: on_revoked is the last chance to commit for those partitions. Offsets meaningless.
struct PartitionHooks {
    std::function<void(const std::vector<kafka::TopicPartition>&)> on_assigned;
    std::function<void(const std::vector<kafka::TopicPartition>&)> on_revoked;
};

/// A consumer-group member on one topic whose loop steers each partition itself: explicit
/// commits, pause and resume, seek (kafka::Consumer). Used from the loop's thread only.
class PartitionConsumer {
public:
    virtual ~PartitionConsumer() = default;
    /// Joins the group with `hooks` (again after close(): from the committed offsets). Throws
    /// kt::Error.
    virtual void open(PartitionHooks hooks) = 0;
    /// Appends up to `max` messages of unpaused partitions to `out`, waiting up to `timeout` for
    /// the first; runs the hooks. Throws kt::Error when the member must close and open again.
    virtual void poll(std::vector<PolledMessage>& out, std::size_t max,
                      std::chrono::milliseconds timeout) = 0;
    /// Commits `offsets` (each the next offset to read); throws kt::Error.
    virtual void commit(const std::vector<kafka::TopicPartition>& offsets) = 0;
    /// The group's committed offsets of `partitions` (kafka::kNoOffset when none); throws
    /// kt::Error.
    [[nodiscard]] virtual std::vector<kafka::TopicPartition> committed(
        const std::vector<kafka::TopicPartition>& partitions, std::chrono::milliseconds timeout) = 0;
    /// Stops fetching from `partitions`.
    virtual void pause(const std::vector<kafka::TopicPartition>& partitions) = 0;
    /// Fetches from `partitions` again where their position is.
    virtual void resume(const std::vector<kafka::TopicPartition>& partitions) = 0;
    /// Moves each partition's fetch position to its offset (paused ones stay paused), waiting up
    /// to `timeout` until nothing fetched from the old position can be returned; throws
    /// kt::Error.
    virtual void seek(const std::vector<kafka::TopicPartition>& partitions,
                      std::chrono::milliseconds timeout) = 0;
    /// Watermarks of `partition` as last seen while fetching; nullopt until known.
    [[nodiscard]] virtual std::optional<kafka::Watermarks> watermarks(
        std::int32_t partition) const = 0;
    /// Revokes the assignment (on_revoked runs) and leaves the group; nothing when not open.
    /// Throws kt::Error, closed all the same.
    virtual void close() = 0;
};

/// One header of an OutRecord.
struct OutHeader {
    std::string_view name;
    std::string_view value;
};

/// One message for a TaggedSink; produce() copies the bytes.
struct OutRecord {
    std::string_view topic;
    std::optional<std::string_view> key;  ///< partitioned by key
    std::string_view value;
    std::span<const OutHeader> headers;
    std::uint64_t tag = 0;  ///< handed back in the message's TaggedReport
};

/// The outcome of one message of a TaggedSink: acknowledged (kNoError) or refused.
struct TaggedReport {
    std::uint64_t tag = 0;
    kafka::ErrorCode error = kafka::ErrorCode::kNoError;
};

/// A producer whose caller matches delivery reports to its messages by tag (kafka::Producer).
/// Used from the loop's thread only.
class TaggedSink {
public:
    virtual ~TaggedSink() = default;
    /// Queues `record`. Throws kafka::KafkaError when it is refused at once: code() says why;
    /// fatal() that this producer cannot go on (reset() it).
    virtual void produce(const OutRecord& record) = 0;
    /// Waits up to `timeout` until every queued message has its report; false when some are
    /// still outstanding then. Throws kafka::KafkaError (fatal() as for produce()).
    [[nodiscard]] virtual bool flush(std::chrono::milliseconds timeout) = 0;
    /// Appends the reports that arrived since the last call to `out`, without waiting.
    virtual void poll(std::vector<TaggedReport>& out) = 0;
    /// Messages queued or in flight, not yet reported.
    [[nodiscard]] virtual std::size_t in_flight() const = 0;
    /// Replaces a producer that failed fatally; what it had in flight may never be reported.
    /// Throws kt::Error.
    virtual void reset() = 0;
};

}  // namespace kt::workers
