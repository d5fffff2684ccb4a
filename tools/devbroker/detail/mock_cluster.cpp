#include "tools/devbroker/detail/mock_cluster.hpp"

#include <fmt/format.h>

#include <array>
#include <utility>

#include "lib/error.hpp"
#include "lib/kafka/detail/handles.hpp"

namespace kt::devbroker {

MockCluster::MockCluster(int brokers) : brokers_(brokers) {
    if (brokers < 1) throw Error("--brokers must be at least 1");
    kafka::detail::ConfPtr conf(rd_kafka_conf_new());
    std::array<char, 512> errstr{};
    // log_level 4: the hosting handle has no bootstrap.servers, which librdkafka would warn about.
    for (const auto& [name, value] :
         {std::pair{"client.id", "kt-devbroker"}, std::pair{"log_level", "4"}}) {
        if (rd_kafka_conf_set(conf.get(), name, value, errstr.data(), errstr.size()) !=
            RD_KAFKA_CONF_OK) {
            throw Error(fmt::format("mock cluster conf {}: {}", name, errstr.data()));
        }
    }
    handle_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr.data(), errstr.size()));
    if (!handle_) throw Error(fmt::format("cannot create mock cluster host: {}", errstr.data()));
    (void)conf.release();  // rd_kafka_new owns it now
    cluster_ = rd_kafka_mock_cluster_new(handle_.get(), brokers);
    if (cluster_ == nullptr) throw Error("cannot start the librdkafka mock cluster");
}

MockCluster::~MockCluster() {
    if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
}

std::string MockCluster::bootstrap() const {
    return rd_kafka_mock_cluster_bootstraps(cluster_);
}

rd_kafka_resp_err_t MockCluster::create_topic(const std::string& name, int partitions) {
    return rd_kafka_mock_topic_create(cluster_, name.c_str(), partitions, 1);
}

void MockCluster::set_topic_error(const std::string& topic, rd_kafka_resp_err_t error) {
    rd_kafka_mock_topic_set_error(cluster_, topic.c_str(), error);
}

rd_kafka_resp_err_t MockCluster::broker_down(std::int32_t broker) {
    return rd_kafka_mock_broker_set_down(cluster_, broker);
}

rd_kafka_resp_err_t MockCluster::broker_up(std::int32_t broker) {
    return rd_kafka_mock_broker_set_up(cluster_, broker);
}

rd_kafka_resp_err_t MockCluster::broker_rtt(std::int32_t broker, int rtt_ms) {
    return rd_kafka_mock_broker_set_rtt(cluster_, broker, rtt_ms);
}

void MockCluster::push_errors(std::int16_t api_key,
                              const std::vector<rd_kafka_resp_err_t>& errors) {
    rd_kafka_mock_push_request_errors_array(cluster_, api_key, errors.size(), errors.data());
}

rd_kafka_resp_err_t MockCluster::push_broker_errors(
    std::int32_t broker, std::int16_t api_key, const std::vector<rd_kafka_resp_err_t>& errors) {
    for (const auto error : errors) {
        const auto err =
            rd_kafka_mock_broker_push_request_error_rtts(cluster_, broker, api_key, 1, error, 0);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return err;
    }
    return RD_KAFKA_RESP_ERR_NO_ERROR;
}

void MockCluster::clear_errors(std::int16_t api_key) {
    rd_kafka_mock_clear_request_errors(cluster_, api_key);
}

}  // namespace kt::devbroker
