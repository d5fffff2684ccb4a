#include "tests/support/dev_stack.hpp"

#include <httplib.h>

#include <algorithm>
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
            for (const auto& m : got) out.push_back(copy_message(m));
            return out.size() >= count;
        },
        timeout, 1ms);
    got.clear();  // librdkafka's messages go before its client
    consumer.close();
    return out;
}

ReadMessage copy_message(const kafka::Message& message) {
    ReadMessage copy;
    copy.partition = message.partition();
    copy.offset = message.offset();
    if (message.key()) copy.key = std::string(*message.key());
    copy.payload = std::string(message.payload());
    for (const auto& h : message.headers()) {
        if (h.value) copy.headers[std::string(h.name)] = std::string(*h.value);
    }
    if (const auto ts = message.timestamp()) copy.timestamp_ms = ts->count();
    return copy;
}

std::map<std::string, std::string> wait_ready_file(const std::string& path,
                                                   WorkerProcess& process,
                                                   const std::vector<std::string>& keys,
                                                   std::chrono::milliseconds timeout,
                                                   const std::string& what) {
    std::map<std::string, std::string> values;
    const auto complete = [&] {
        return std::all_of(keys.begin(), keys.end(),
                           [&](const std::string& key) { return values.contains(key); });
    };
    const bool ready = wait_until(
        [&] {
            std::ifstream in(path);
            for (std::string line; std::getline(in, line);) {
                const auto equals = line.find('=');
                if (equals != std::string::npos && equals > 0) {
                    values[line.substr(0, equals)] = line.substr(equals + 1);
                }
            }
            return complete() || !process.running();
        },
        timeout);
    if (!ready || !complete()) {
        throw std::runtime_error(what + " did not start: " + process.log());
    }
    return values;
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
    const auto values = wait_ready_file(ready_file_, process_, {"bootstrap", "control"}, 30s,
                                        "kt-devbroker");
    brokers_ = values.at("bootstrap");
    control_ = values.at("control");
}

PrivateBroker::~PrivateBroker() {
    std::error_code ignored;
    std::filesystem::remove(ready_file_, ignored);
}

void PrivateBroker::post(const std::string& path, const json& body) {
    httplib::Client client(control_);
    expect_2xx(client.Post(path, body.dump(), "application/json"), path.c_str());
}

PrivateStandin::PrivateStandin(const std::vector<std::string>& args, int port)
    : ready_file_(
          (std::filesystem::temp_directory_path() / (unique_name("standin") + ".ready")).string()) {
    std::vector<std::string> all = {"--port", std::to_string(port), "--ready-file", ready_file_};
    all.insert(all.end(), args.begin(), args.end());
    process_ = std::make_unique<WorkerProcess>(WorkerProcessOptions{standin_binary(), all, {}, {}});
    url_ = wait_ready_file(ready_file_, *process_, {"url"}, 20s, "kt-es-standin").at("url");
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

int PrivateStandin::port() const { return std::stoi(url_.substr(url_.rfind(':') + 1)); }

void PrivateStandin::stop() {
    process_->terminate();
    if (!process_->wait_exit(10s)) process_->kill();
    (void)process_->wait_exit(10s);
}

json PrivateStandin::stats() {
    httplib::Client client(url_);
    const auto res = client.Get("/_standin/stats");
    if (!res || res->status != 200) return json::object();
    return json::parse(res->body);
}

}  // namespace kt::test
