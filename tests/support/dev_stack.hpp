#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "lib/kafka/message.hpp"
#include "lib/kafka/options.hpp"
#include "lib/non_copyable.hpp"
#include "tests/support/worker_process.hpp"

namespace kt::test {

/// Creates `topic` with `partitions` on the stack's Kafka: through the Admin API on Apache Kafka
/// (KT_TEST_STACK_KAFKA=kafka), returning once the broker's metadata lists every partition;
/// otherwise through kt-devbroker's control endpoint. `configs` are topic configs (e.g.
/// max.message.bytes) for Apache Kafka; kt-devbroker's mock has none and ignores them. Throws
/// std::runtime_error with the broker's answer when it fails.
void create_topic(const std::string& topic, int partitions,
                  const std::map<std::string, std::string>& configs = {});
/// The same through the kt-devbroker control endpoint at URL `control` (a PrivateBroker's).
void create_topic(const std::string& control, const std::string& topic, int partitions);
/// The same through Kafka's Admin API (CreateTopics, replication factor 1) at `brokers`.
void create_topic_on_kafka(const std::string& brokers, const std::string& topic, int partitions,
                           const std::map<std::string, std::string>& configs = {});

/// Client options for the development broker (KT_TEST_KAFKA_BROKERS), no group.
[[nodiscard]] kafka::Options broker_options();

/// A consumed message copied out of librdkafka (a kafka::Message must not outlive its client).
struct ReadMessage {
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    std::optional<std::string> key;
    std::string payload;
    std::map<std::string, std::string> headers;  ///< last value of each non-null header
    std::optional<std::int64_t> timestamp_ms;

    /// The header's value, nullopt when absent.
    [[nodiscard]] std::optional<std::string> header(const std::string& name) const;
};

/// A copy of `message` that outlives its client.
[[nodiscard]] ReadMessage copy_message(const kafka::Message& message);

/// Reads up to `count` messages of `topic` from the start with a fresh consumer group; returns
/// what arrived by the deadline. `brokers` defaults to the development broker.
[[nodiscard]] std::vector<ReadMessage> read_topic(const std::string& topic, std::size_t count,
                                                  std::chrono::milliseconds timeout,
                                                  const std::string& brokers = {});

/// The status port a worker executable logged ("metrics on port N"); nullopt when it did not
/// log one within `timeout`.
[[nodiscard]] std::optional<int> wait_status_port(WorkerProcess& worker,
                                                  std::chrono::milliseconds timeout);

/// GET http://127.0.0.1:`port``path`: the HTTP status (0 when unreachable) and the body.
[[nodiscard]] std::pair<int, std::string> http_get(int port, const std::string& path);

/// The value of `series` (written as exposed, e.g. `name{a="b",c="d"}`) in Prometheus text;
/// nullopt when absent.
[[nodiscard]] std::optional<double> metric_value(const std::string& exposition,
                                                 const std::string& series);

/// Waits until the ready file at `path` of a development server (`--ready-file`) holds a
/// `key=value` line for every one of `keys`: the values by key. Throws std::runtime_error
/// ("`what` did not start" and `process`'s log) when it exits first or `timeout` passes.
std::map<std::string, std::string> wait_ready_file(const std::string& path,
                                                   WorkerProcess& process,
                                                   const std::vector<std::string>& keys,
                                                   std::chrono::milliseconds timeout,
                                                   const std::string& what);

/// A private kt-devbroker process (one mock broker), so that injected Kafka faults never
/// disturb other tests. Stopped with the object.
class PrivateBroker : private NonCopyable {
public:
    /// Starts it on free ports; throws std::runtime_error when it does not become ready.
    PrivateBroker();
    ~PrivateBroker();

    /// Bootstrap servers for clients.
    [[nodiscard]] const std::string& brokers() const { return brokers_; }
    /// Control endpoint URL, e.g. http://127.0.0.1:PORT.
    [[nodiscard]] const std::string& control() const { return control_; }
    /// POSTs `body` to the control endpoint's `path` (e.g. `/errors`); throws
    /// std::runtime_error with the answer unless it is 2xx.
    void post(const std::string& path, const nlohmann::json& body);
    /// Disconnects broker 1 and refuses connections until up(); throws when refused.
    void down() { post("/brokers/1/down", nlohmann::json::object()); }
    /// Accepts connections again; throws when refused.
    void up() { post("/brokers/1/up", nlohmann::json::object()); }

private:
    std::string ready_file_;
    WorkerProcess process_;
    std::string brokers_;
    std::string control_;
};

/// A private kt-es-standin process (KT_TEST_ES_STANDIN_BIN, else the one built here), so that
/// injected faults never disturb other tests; `args` adds options (`--tls-cert`,
/// `--basic-auth`, ...), `port` 0 picks a free one. Stopped with the object.
class PrivateStandin : private NonCopyable {
public:
    /// Starts it; throws std::runtime_error (with its log) when it does not become ready.
    explicit PrivateStandin(const std::vector<std::string>& args = {}, int port = 0);
    ~PrivateStandin();

    /// Base URL from its ready file, e.g. http://127.0.0.1:PORT (https with --tls-cert).
    [[nodiscard]] const std::string& url() const { return url_; }
    /// The port it listens on.
    [[nodiscard]] int port() const;
    /// Replaces the injected faults (PUT /_standin/faults); throws when refused.
    void set_faults(const nlohmann::json& faults);
    /// Removes every injected fault; throws when refused.
    void clear_faults();
    /// GET /_standin/stats, an empty object when unreachable.
    [[nodiscard]] nlohmann::json stats();
    /// Stops it (SIGTERM) and waits for it to exit.
    void stop();

private:
    std::string ready_file_;
    std::unique_ptr<WorkerProcess> process_;
    std::string url_;
};

}  // namespace kt::test
