// The real collaborators of a Delayer: librdkafka's consumer and producer through lib/kafka.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lib/app/options_from_config.hpp"
#include "lib/kafka/consumer.hpp"
#include "lib/kafka/error.hpp"
#include "lib/kafka/options.hpp"
#include "lib/kafka/producer.hpp"
#include "lib/non_copyable.hpp"
#include "workers/common/clients.hpp"
#include "workers/delayer/delayer.hpp"

namespace kt::workers {

namespace {

/// PartitionConsumer on a kafka::Consumer, created anew by each open().
class KafkaPartitionConsumer final : public PartitionConsumer, private NonCopyable {
public:
    KafkaPartitionConsumer(kafka::Options options, std::string topic)
        : options_(std::move(options)), topic_(std::move(topic)) {}
    ~KafkaPartitionConsumer() override {
        messages_.clear();  // a Message must not outlive its Consumer
    }

    void open(PartitionHooks hooks) override {
        kafka::RebalanceHooks rebalance;
        rebalance.on_assigned = std::move(hooks.on_assigned);
        rebalance.on_revoked = std::move(hooks.on_revoked);
        auto consumer = std::make_unique<kafka::Consumer>(options_, std::move(rebalance));
        consumer->subscribe({topic_});
        consumer_ = std::move(consumer);
    }

    void poll(std::vector<PolledMessage>& out, std::size_t max,
              std::chrono::milliseconds timeout) override {
        messages_.clear();
        consumer_->poll_batch(messages_, max, timeout);
        out.reserve(out.size() + messages_.size());
        for (const auto& m : messages_) {
            std::optional<std::int64_t> timestamp;
            if (const auto ts = m.timestamp()) timestamp = ts->count();
            out.push_back({m.partition(), m.offset(), m.payload(), m.key(), timestamp});
        }
    }

    void commit(const std::vector<kafka::TopicPartition>& offsets) override {
        consumer_->commit(offsets);
    }
    std::vector<kafka::TopicPartition> committed(
        const std::vector<kafka::TopicPartition>& partitions,
        std::chrono::milliseconds timeout) override {
        return consumer_->committed(partitions, timeout);
    }
    void pause(const std::vector<kafka::TopicPartition>& partitions) override {
        consumer_->pause(partitions);
    }
    void resume(const std::vector<kafka::TopicPartition>& partitions) override {
        consumer_->resume(partitions);
    }
    void seek(const std::vector<kafka::TopicPartition>& partitions,
              std::chrono::milliseconds timeout) override {
        consumer_->seek(partitions, timeout);
    }
    std::optional<kafka::Watermarks> watermarks(std::int32_t partition) const override {
        // Cached values from fetch responses: no broker round trip.
        return consumer_ ? consumer_->cached_watermarks(topic_, partition) : std::nullopt;
    }

    void close() override {
        messages_.clear();
        if (!consumer_) return;
        try {
            consumer_->close();  // on_revoked still commits through this consumer
        } catch (...) {
            consumer_.reset();
            throw;
        }
        consumer_.reset();
    }

private:
    kafka::Options options_;
    std::string topic_;
    std::vector<kafka::Message> messages_;  ///< what the last poll() returned views into
    std::unique_ptr<kafka::Consumer> consumer_;
};

/// TaggedSink on a kafka::Producer, whose reports it keeps until poll() hands them over.
class KafkaTaggedSink final : public TaggedSink {
public:
    explicit KafkaTaggedSink(kafka::Options options)
        : options_(std::move(options)), producer_(make()) {}

    void produce(const OutRecord& record) override {
        headers_.clear();
        for (const auto& h : record.headers) headers_.push_back({h.name, h.value});
        producer_->produce(kafka::Record{record.topic, record.key, record.value, headers_,
                                         kafka::kAnyPartition, record.tag});
    }
    bool flush(std::chrono::milliseconds timeout) override {
        try {
            (void)producer_->flush(timeout);
            return true;
        } catch (const kafka::KafkaError& e) {
            if (e.code() != kafka::ErrorCode::kTimedOut) throw;
            return false;
        }
    }
    void poll(std::vector<TaggedReport>& out) override {
        out.insert(out.end(), reports_.begin(), reports_.end());
        reports_.clear();
    }
    [[nodiscard]] std::size_t in_flight() const override { return producer_->in_flight(); }
    void reset() override { producer_ = make(); }

private:
    std::unique_ptr<kafka::Producer> make() {
        return std::make_unique<kafka::Producer>(options_, [this](const kafka::DeliveryReport& r) {
            reports_.push_back({r.tag, r.error});
        });
    }

    kafka::Options options_;
    std::vector<kafka::Header> headers_;
    std::vector<TaggedReport> reports_;  ///< delivered since the last poll()
    std::unique_ptr<kafka::Producer> producer_;
};

}  // namespace

DelayerIo delayer_io(const config::Config& config, const config::DelayerConfig& delayer) {
    kafka::Options options =
        app::kafka_options(config.kafka, app::group_id(config.kafka, "delayer", delayer.name));
    // Bounded prefetch: a paused partition holds nothing in librdkafka's queue, the others at
    // most this much together (users may override each through kafka.properties).
    options.properties.try_emplace("queued.max.messages.kbytes", "4096");
    options.properties.try_emplace("queued.min.messages", "50000");
    options.properties.try_emplace("fetch.message.max.bytes", "65536");

    DelayerIo io;
    io.producer = std::make_unique<KafkaTaggedSink>(app::kafka_options(config.kafka));
    io.consumer = std::make_unique<KafkaPartitionConsumer>(std::move(options), delayer.topic);
    io.clock = std::make_unique<SystemTimeSource>();
    io.sleep = sleep_for;
    return io;
}

}  // namespace kt::workers
