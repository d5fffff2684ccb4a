// kt-devbroker as a process: ready file, control endpoint, fault injection, clean exit. Each test
// starts its own broker so injected faults never reach other tests.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "lib/kafka/admin.hpp"
#include "lib/kafka/consumer.hpp"
#include "lib/kafka/producer.hpp"
#include "lib/non_copyable.hpp"
#include "tests/support/test_env.hpp"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;

/// A kt-devbroker child process, stopped with SIGTERM on destruction.
class DevBrokerProcess : private kt::NonCopyable {
public:
    explicit DevBrokerProcess(std::vector<std::string> extra_args = {}) {
        dir_ = std::filesystem::temp_directory_path() / kt::test::unique_name("devbroker");
        std::filesystem::create_directories(dir_);
        ready_file_ = dir_ / "ready";
        std::vector<std::string> args = {
            std::string(KT_BINARY_DIR) + "/tools/devbroker/kt-devbroker", "--control-port", "0",
            "--ready-file", ready_file_};
        args.insert(args.end(), extra_args.begin(), extra_args.end());
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        const std::string out = dir_ / "stdout";
        pid_ = ::fork();
        if (pid_ == 0) {
            std::freopen(out.c_str(), "w", stdout);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
    }
    ~DevBrokerProcess() {
        if (pid_ > 0 && !exited_) {
            ::kill(pid_, SIGTERM);
            (void)wait_exit();
        }
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }

    /// Waits for the ready file and parses its key=value lines.
    std::map<std::string, std::string> ready() {
        std::map<std::string, std::string> values;
        kt::test::wait_until([&] { return std::filesystem::exists(ready_file_); }, 30s);
        std::ifstream in(ready_file_);
        std::string line;
        while (std::getline(in, line)) {
            const auto eq = line.find('=');
            if (eq != std::string::npos) values[line.substr(0, eq)] = line.substr(eq + 1);
        }
        return values;
    }
    std::string stdout_text() const {
        std::ifstream in(dir_ / "stdout");
        return std::string(std::istreambuf_iterator<char>(in), {});
    }
    /// SIGTERM, then the exit status (-1 when it did not exit within the deadline).
    int terminate() {
        ::kill(pid_, SIGTERM);
        return wait_exit();
    }

private:
    int wait_exit() {
        int status = 0;
        const bool done =
            kt::test::wait_until([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, 20s);
        exited_ = done;
        return done && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    std::filesystem::path dir_;
    std::string ready_file_;
    pid_t pid_ = -1;
    bool exited_ = false;
};

std::pair<int, json> post(const std::string& control, const std::string& path, const json& body) {
    httplib::Client client(control);
    const auto res = client.Post(path, body.dump(), "application/json");
    if (!res) return {0, json()};
    return {res->status, json::parse(res->body, nullptr, false)};
}

/// Polls `consumer` into `got` until it holds `count` messages; false after 30 s.
bool poll_until(kt::kafka::Consumer& consumer, std::vector<kt::kafka::Message>& got,
                std::size_t count) {
    return kt::test::wait_until(
        [&] {
            (void)consumer.poll_batch(got, 10, 100ms);
            return got.size() >= count;
        },
        30s);
}

/// A test of one kt-devbroker, started by the test.
class DevBroker : public ::testing::Test {
protected:
    /// Starts the broker with `extra_args`; ready_ holds the values of its ready file.
    void start(std::vector<std::string> extra_args = {}) {
        broker_.emplace(std::move(extra_args));
        ready_ = broker_->ready();
    }
    /// Starts the broker with topic `t` of one partition; options_ reach it.
    void start_with_topic() {
        start();
        ASSERT_EQ(post(ready_["control"], "/topics", {{"name", "t"}, {"partitions", 1}}).first,
                  201);
        options_.brokers = ready_["bootstrap"];
    }
    /// Makes the next requests of `api` fail with `errors`, one each, in order.
    void push_errors(const std::string& api, const json& errors) {
        const auto [status, body] =
            post(ready_["control"], "/errors", {{"api", api}, {"errors", errors}});
        ASSERT_EQ(status, 200) << body.dump();
    }

    std::optional<DevBrokerProcess> broker_;
    std::map<std::string, std::string> ready_;
    kt::kafka::Options options_;
};

TEST_F(DevBroker, WritesReadyFileServesControlEndpointAndExitsZeroOnSigterm) {
    start({"--brokers", "2", "--topic", "prestarted:3"});
    ASSERT_EQ(ready_.count("bootstrap"), 1u);
    ASSERT_EQ(ready_.count("control"), 1u);
    EXPECT_EQ(std::count(ready_["bootstrap"].begin(), ready_["bootstrap"].end(), ','), 1);
    EXPECT_EQ(ready_["control"].rfind("http://127.0.0.1:", 0), 0u);
    EXPECT_NE(broker_->stdout_text().find(ready_["bootstrap"]), std::string::npos);

    httplib::Client client(ready_["control"]);
    const auto health = client.Get("/health");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
    EXPECT_EQ(json::parse(health->body)["brokers"], 2);
    const auto bootstrap = client.Get("/bootstrap");
    ASSERT_TRUE(bootstrap);
    EXPECT_EQ(json::parse(bootstrap->body)["bootstrap"], ready_["bootstrap"]);

    options_.brokers = ready_["bootstrap"];
    kt::kafka::Admin admin(options_);
    const auto pre = admin.describe_topic("prestarted", 10s);
    ASSERT_TRUE(pre.has_value());
    EXPECT_EQ(pre->partitions, 3);

    EXPECT_EQ(broker_->terminate(), 0);
}

TEST_F(DevBroker, CreatesTopicsOnceAndRejectsBadRequests) {
    start();
    const auto control = ready_["control"];
    EXPECT_EQ(post(control, "/topics", {{"name", "orders"}, {"partitions", 4}}).first, 201);
    EXPECT_EQ(post(control, "/topics", {{"name", "orders"}, {"partitions", 4}}).first, 409);
    EXPECT_EQ(post(control, "/topics", {{"partitions", 4}}).first, 400);
    EXPECT_EQ(post(control, "/topics", {{"name", "zero"}, {"partitions", 0}}).first, 400);
    EXPECT_EQ(post(control, "/errors", {{"api", "NoSuchApi"}, {"error", 1}}).first, 400);
    EXPECT_EQ(post(control, "/errors", {{"api", "Produce"}, {"error", "NO_SUCH_ERROR"}}).first,
              400);
    EXPECT_EQ(post(control, "/brokers/9/down", json::object()).first, 404);
    EXPECT_EQ(post(control, "/brokers/1/rtt", {{"ms", 5}}).first, 200);
    EXPECT_EQ(post(control, "/brokers/1/down", json::object()).first, 200);
    EXPECT_EQ(post(control, "/brokers/1/up", json::object()).first, 200);
}

TEST_F(DevBroker, PushedProduceErrorIsReportedAsAFailedDelivery) {
    ASSERT_NO_FATAL_FAILURE(start_with_topic());
    std::vector<kt::kafka::ErrorCode> errors;
    kt::kafka::Producer producer(
        options_, [&](const kt::kafka::DeliveryReport& r) { errors.push_back(r.error); });
    producer.produce("t", std::string_view("k"), "warm-up");
    ASSERT_TRUE(producer.flush(10s).ok());

    ASSERT_NO_FATAL_FAILURE(push_errors("Produce", json{"TOPIC_AUTHORIZATION_FAILED"}));
    producer.produce("t", std::string_view("k"), "rejected");
    const auto result = producer.flush(10s);
    EXPECT_EQ(result.failed, 1u);
    EXPECT_EQ(result.first_error, kt::kafka::ErrorCode::kTopicAuthorizationFailed);
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[1], kt::kafka::ErrorCode::kTopicAuthorizationFailed);
}

TEST_F(DevBroker, WatermarksAreAskedAgainWhileThePartitionsLeaderMoves) {
    // As right after a topic is created or a broker restarts on a real cluster.
    ASSERT_NO_FATAL_FAILURE(start_with_topic());
    kt::kafka::Admin admin(options_);
    (void)admin.query_watermarks("t", 0, 10s);
    const nlohmann::json moving = {"NOT_LEADER_FOR_PARTITION", "LEADER_NOT_AVAILABLE",
                                   "NOT_LEADER_FOR_PARTITION"};
    ASSERT_NO_FATAL_FAILURE(push_errors("ListOffsets", moving));
    const auto w = admin.query_watermarks("t", 0, 10s);
    EXPECT_EQ(w.low, 0);
    EXPECT_EQ(w.high, 0);
}

TEST_F(DevBroker, AJoiningConsumerFetchesFromItsCommitAfterTheOffsetFetchMeetsNotCoordinator) {
    // As after a broker paused past its session resumes: the group coordinator moved, and the
    // first committed-offset fetch of a new assignment gets a request-level NOT_COORDINATOR.
    // librdkafka 2.0.2 leaves such a partition waiting forever (confluentinc/librdkafka#5586);
    // kt reads the committed offsets itself and assigns them.
    ASSERT_NO_FATAL_FAILURE(start_with_topic());
    {
        kt::kafka::Producer producer(options_);
        for (int i = 0; i < 10; ++i) producer.produce("t", std::nullopt, std::to_string(i));
        ASSERT_EQ(producer.flush(10s).failed, 0u);
    }
    options_.group_id = "g";
    options_.properties["session.timeout.ms"] = "6000";
    {
        kt::kafka::Consumer first(options_);
        first.subscribe({"t"});
        std::vector<kt::kafka::Message> got;
        ASSERT_TRUE(poll_until(first, got, 6));
        first.commit({{"t", 0, 6}});
        first.close();
    }
    const nlohmann::json moved = {"NOT_COORDINATOR"};
    ASSERT_NO_FATAL_FAILURE(push_errors("OffsetFetch", moved));
    kt::kafka::Consumer second(options_);
    second.subscribe({"t"});
    std::vector<kt::kafka::Message> got;
    EXPECT_TRUE(poll_until(second, got, 1)) << "the partition was assigned and never fetched";
    ASSERT_FALSE(got.empty());
    EXPECT_EQ(got.front().offset(), 6);
}

}  // namespace
