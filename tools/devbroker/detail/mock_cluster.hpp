#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lib/kafka/detail/handles.hpp"
#include "lib/non_copyable.hpp"

namespace kt::devbroker {

/// librdkafka's in-memory mock cluster and the rd_kafka_t that hosts it. Development only: no
/// persistence, no real replication. All methods are thread-safe (librdkafka forwards them to the
/// mock cluster's own thread). Neither copied nor moved.
class MockCluster : private NonCopyable {
public:
    /// Starts `brokers` mock brokers on 127.0.0.1 ephemeral ports; throws kt::Error on failure.
    explicit MockCluster(int brokers);
    /// Stops the brokers and destroys the hosting handle.
    ~MockCluster();

    /// Comma-separated host:port list clients bootstrap from.
    [[nodiscard]] std::string bootstrap() const;
    /// Number of brokers (ids 1..broker_count()).
    [[nodiscard]] int broker_count() const noexcept { return brokers_; }
    /// Creates a topic; RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS when it exists.
    [[nodiscard]] rd_kafka_resp_err_t create_topic(const std::string& name, int partitions);
    /// Makes every Metadata answer for `topic` carry `error` (NO_ERROR clears it).
    void set_topic_error(const std::string& topic, rd_kafka_resp_err_t error);
    /// Disconnects a broker and refuses new connections until broker_up().
    [[nodiscard]] rd_kafka_resp_err_t broker_down(std::int32_t broker);
    /// Accepts connections on a broker again.
    [[nodiscard]] rd_kafka_resp_err_t broker_up(std::int32_t broker);
    /// Delays every response of a broker by `rtt_ms`.
    [[nodiscard]] rd_kafka_resp_err_t broker_rtt(std::int32_t broker, int rtt_ms);
    /// The next requests of `api_key` (any broker) fail with `errors`, in order.
    void push_errors(std::int16_t api_key, const std::vector<rd_kafka_resp_err_t>& errors);
    /// The next requests of `api_key` on `broker` fail with `errors`, in order.
    [[nodiscard]] rd_kafka_resp_err_t push_broker_errors(
        std::int32_t broker, std::int16_t api_key, const std::vector<rd_kafka_resp_err_t>& errors);
    /// Forgets pushed cluster-wide errors of `api_key`.
    void clear_errors(std::int16_t api_key);

private:
    int brokers_;
    kafka::detail::HandlePtr handle_;
    rd_kafka_mock_cluster_t* cluster_ = nullptr;  // owned; destroyed before handle_
};

}  // namespace kt::devbroker
