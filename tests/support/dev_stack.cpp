#include "tests/support/dev_stack.hpp"

#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "lib/kafka/admin.hpp"
#include "lib/kafka/consumer.hpp"
#include "tests/support/test_env.hpp"

namespace kt::test {

using namespace std::chrono_literals;
using nlohmann::json;

void create_topic(const std::string& topic, int partitions,
                  const std::map<std::string, std::string>& configs) {
    if (stack_runs_real_kafka()) {
        create_topic_on_kafka(kafka_brokers(), topic, partitions, configs);
    } else {
        create_topic(devbroker_control(), topic, partitions);
    }
}

void create_topic(const std::string& control, const std::string& topic, int partitions) {
    httplib::Client client(control);
    const auto res = client.Post(
        "/topics", json{{"name", topic}, {"partitions", partitions}}.dump(), "application/json");
    if (!res) throw std::runtime_error("kt-devbroker control endpoint unreachable");
    if (res->status != 201) {
        throw std::runtime_error("creating topic " + topic + ": HTTP " +
                                 std::to_string(res->status) + " " + res->body);
    }
}

void create_topic_on_kafka(const std::string& brokers, const std::string& topic, int partitions,
                           const std::map<std::string, std::string>& configs) {
    kafka::Options options;
    options.brokers = brokers;
    kafka::Admin(options).create_topic(topic, partitions, configs, 30s);
}

kafka::Options broker_options() {
    kafka::Options options;
    options.brokers = kafka_brokers();
    return options;
}

std::optional<std::string> ReadMessage::header(const std::string& name) const {
    const auto it = headers.find(name);
    if (it == headers.end()) return std::nullopt;
    return it->second;
}

std::vector<ReadMessage> read_topic(const std::string& topic, std::size_t count,
                                    std::chrono::milliseconds timeout, const std::string& brokers) {
    kafka::Options options = broker_options();
    if (!brokers.empty()) options.brokers = brokers;
    options.group_id = unique_name("reader");
    options.properties = {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}};
    std::vector<ReadMessage> out;
    kafka::Consumer consumer(options);
    consumer.subscribe({topic});
    std::vector<kafka::Message> got;
    wait_until(
        [&] {
            got.clear();
            consumer.poll_batch(got, count - out.size(), 200ms);
            for (const auto& m : got) {
                ReadMessage copy;
                copy.partition = m.partition();
                copy.offset = m.offset();
                if (m.key()) copy.key = std::string(*m.key());
                copy.payload = std::string(m.payload());
                for (const auto& h : m.headers()) {
                    if (h.value) copy.headers[std::string(h.name)] = std::string(*h.value);
                }
                if (const auto ts = m.timestamp()) copy.timestamp_ms = ts->count();
                out.push_back(std::move(copy));
            }
            return out.size() >= count;
        },
        timeout, 1ms);
    got.clear();  // librdkafka's messages go before its client
    consumer.close();
    return out;
}

std::optional<int> wait_status_port(WorkerProcess& worker, std::chrono::milliseconds timeout) {
    constexpr std::string_view kNeedle = "metrics on port ";
    if (!worker.wait_for_log(kNeedle, timeout)) return std::nullopt;
    const std::string log = worker.log();
    const auto at = log.find(kNeedle) + kNeedle.size();
    return std::stoi(log.substr(at, log.find_first_not_of("0123456789", at) - at));
}

std::pair<int, std::string> http_get(int port, const std::string& path) {
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(10, 0);
    const auto res = client.Get(path);
    if (!res) return {0, ""};
    return {res->status, res->body};
}

std::optional<double> metric_value(const std::string& exposition, const std::string& series) {
    std::istringstream in(exposition);
    for (std::string line; std::getline(in, line);) {
        if (line.size() > series.size() && line.starts_with(series) && line[series.size()] == ' ') {
            return std::stod(line.substr(series.size() + 1));
        }
    }
    return std::nullopt;
}

namespace {

std::string standin_binary() {
    const char* from_env = std::getenv("KT_TEST_ES_STANDIN_BIN");
    return from_env != nullptr ? from_env : KT_BINARY_DIR "/tools/es-standin/kt-es-standin";
}

void expect_2xx(const httplib::Result& res, const char* what) {
    if (!res) throw std::runtime_error(std::string(what) + ": stand-in unreachable");
    if (res->status / 100 != 2) {
        throw std::runtime_error(std::string(what) + ": HTTP " + std::to_string(res->status) + " " +
                                 res->body);
    }
}

}  // namespace

PrivateBroker::PrivateBroker()
    : ready_file_(
          (std::filesystem::temp_directory_path() / (unique_name("broker") + ".ready")).string()),
      process_({KT_BINARY_DIR "/tools/devbroker/kt-devbroker",
                {"--brokers", "1", "--control-port", "0", "--ready-file", ready_file_},
                {},
                {}}) {
    const bool ready = wait_until(
        [this] {
            std::ifstream in(ready_file_);
            for (std::string line; std::getline(in, line);) {
                if (line.starts_with("bootstrap=")) brokers_ = line.substr(10);
                if (line.starts_with("control=")) control_ = line.substr(8);
            }
            return (!brokers_.empty() && !control_.empty()) || !process_.running();
        },
        30s);
    if (!ready || brokers_.empty() || control_.empty()) {
        throw std::runtime_error("kt-devbroker did not start: " + process_.log());
    }
}

PrivateBroker::~PrivateBroker() {
    std::error_code ignored;
    std::filesystem::remove(ready_file_, ignored);
}

void PrivateBroker::post(const std::string& path, const json& body) {
    httplib::Client client(control_);
    expect_2xx(client.Post(path, body.dump(), "application/json"), path.c_str());
}

PrivateStandin::PrivateStandin()
    : ready_file_(
          (std::filesystem::temp_directory_path() / (unique_name("standin") + ".ready")).string()),
      process_({standin_binary(), {"--port", "0", "--ready-file", ready_file_}, {}, {}}) {
    const bool ready = wait_until(
        [this] {
            std::ifstream in(ready_file_);
            for (std::string line; std::getline(in, line);) {
                if (line.starts_with("url=")) {
                    url_ = line.substr(4);
                    return true;
                }
            }
            return !process_.running();
        },
        20s);
    if (!ready || url_.empty()) {
        throw std::runtime_error("kt-es-standin did not start: " + process_.log());
    }
}

PrivateStandin::~PrivateStandin() {
    std::error_code ignored;
    std::filesystem::remove(ready_file_, ignored);
}

void PrivateStandin::set_faults(const json& faults) {
    httplib::Client client(url_);
    expect_2xx(client.Put("/_standin/faults", faults.dump(), "application/json"), "set faults");
}

void PrivateStandin::clear_faults() {
    httplib::Client client(url_);
    expect_2xx(client.Delete("/_standin/faults"), "clear faults");
}

json PrivateStandin::stats() {
    httplib::Client client(url_);
    const auto res = client.Get("/_standin/stats");
    if (!res || res->status != 200) return json::object();
    return json::parse(res->body);
}

}  // namespace kt::test
