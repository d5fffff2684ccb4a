// SIGTERM on an idle process: `kt status --serve` and each worker, on the dev stack, exit 0
// within a second even while a browser holds connections to their status port open (one kept
// alive after a request, one never used, one with a request half sent). The status server on
// its own first: its stop() ends such connections at once. kt-devbroker and kt-es-standin, the
// light stack's servers, too.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "lib/http/status_server.hpp"
#include "lib/metrics/registry.hpp"
#include "lib/non_copyable.hpp"
#include "tests/support/dev_stack.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/test_env.hpp"
#include "tests/support/worker_process.hpp"

namespace kt::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kStartDeadline = 90s;
/// What the contract of this test allows: a second, and half a second for a loaded machine.
constexpr auto kExitDeadline = 1500ms;

/// A TCP connection to 127.0.0.1:`port`, closed with the object.
class Connection : private NonCopyable {
public:
    explicit Connection(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        if (fd_ < 0) throw std::runtime_error("socket() failed");
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
            ::close(fd_);
            throw std::runtime_error(fmt::format("cannot connect to port {}", port));
        }
    }
    ~Connection() { ::close(fd_); }

    void send(std::string_view bytes) {
        while (!bytes.empty()) {
            const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n <= 0) throw std::runtime_error("send() failed");
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
    }
    /// Reads until `needle` has arrived; what arrived, or nullopt at the deadline or the end.
    std::optional<std::string> read_until(std::string_view needle, Clock::duration timeout) {
        std::string got;
        const auto deadline = Clock::now() + timeout;
        while (got.find(needle) == std::string::npos) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0) return std::nullopt;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
            char buffer[4096];
            const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
            if (n <= 0) return std::nullopt;
            got.append(buffer, static_cast<std::size_t>(n));
        }
        return got;
    }

private:
    int fd_;
};

/// What a browser leaves open on a status port: a request half sent, a connection kept alive
/// after a complete request and answer, and one never used (a browser opens spare ones).
class BrowserLikeConnections {
public:
    explicit BrowserLikeConnections(int port) {
        half_sent_ = std::make_unique<Connection>(port);
        half_sent_->send("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        kept_alive_ = std::make_unique<Connection>(port);
        kept_alive_->send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        // Answered: so the server took both connections (the first one earlier) off its queue.
        answered_ = kept_alive_->read_until("\r\n\r\n", 30s).has_value();
        unused_ = std::make_unique<Connection>(port);
    }
    [[nodiscard]] bool answered() const { return answered_; }

private:
    std::unique_ptr<Connection> half_sent_;
    std::unique_ptr<Connection> kept_alive_;
    std::unique_ptr<Connection> unused_;
    bool answered_ = false;
};

/// An index on a table, a delay stage releasing to it and a cascade into it, with their own
/// topics, groups and table, in one config file.
class IdleSetup : public Fixture {
public:
    IdleSetup() : Fixture("sx") {
        for (const auto& topic : {name(), name("later"), name("parents")}) {
            create_topic_with_dead_letters(topic, 2);
        }
        create_tables("CREATE TABLE " + name() + " (id bigint PRIMARY KEY, parent_id bigint)",
                      {name()});
        auto config = this->config();
        config.sections = fmt::format(
            R"(indexes:
  {0}:
    query: SELECT id, jsonb_build_object('id', id) AS doc FROM {0} WHERE id = ANY($1::bigint[])
delayers:
  {0}_later: {{ delay: 1h, target: {0} }}
cascades:
  {0}_cascade:
    topic: {0}_parents
    query: SELECT id FROM {0} WHERE parent_id = ANY($1::bigint[])
    target: {0}
)",
            name());
        write_config(config);
    }
};

/// Sends SIGTERM and expects exit code 0 within kExitDeadline of it.
void expect_prompt_exit(WorkerProcess& process) {
    const auto signalled = Clock::now();
    process.terminate();
    const std::optional<int> code = process.wait_exit(kExitDeadline);
    const auto took =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - signalled);
    ASSERT_TRUE(code.has_value()) << "still running " << took.count() << " ms after SIGTERM\n"
                                  << process.log();
    EXPECT_EQ(*code, 0) << process.log();
    EXPECT_LE(took, kExitDeadline) << process.log();
}

/// Starts `program` on the setup's config, waits until it is ready with its partitions
/// assigned, holds browser-like connections to its status port and expects a prompt exit.
void expect_idle_worker_exits_promptly(const std::string& program) {
    IdleSetup setup;
    const auto worker = setup.start_worker(program, program);
    const auto port = wait_ready(*worker, kStartDeadline);
    ASSERT_TRUE(port) << worker->log();
    ASSERT_TRUE(worker->wait_for_log("assigned", kStartDeadline)) << worker->log();
    const BrowserLikeConnections browser(*port);
    ASSERT_TRUE(browser.answered()) << worker->log();
    expect_prompt_exit(*worker);
}

TEST(ExitOnSigterm, StatusServerStopEndsKeptAliveUnusedAndHalfSentConnectionsAtOnce) {
    metrics::Registry registry;
    http::StatusServer server({"127.0.0.1", 0}, registry, {}, {}, [] { return "{}"; });
    const BrowserLikeConnections browser(server.port());
    ASSERT_TRUE(browser.answered());
    const auto started = Clock::now();
    server.stop();
    // httplib alone waits out the read timeout (5 s) for the half-sent request.
    EXPECT_LT(Clock::now() - started, 500ms);
}

TEST(ExitOnSigterm, KtStatusServeExitsWithinASecondWhileABrowserHoldsConnections) {
    IdleSetup setup;
    const auto serve = setup.start_process(
        "kt", "kt",
        {"status", "--config", setup.config_path(), "--serve", "0", "--interval", "500ms"});
    ASSERT_TRUE(serve->wait_for_log("status page on port ", kStartDeadline)) << serve->log();
    const std::string log = serve->log();
    const auto at = log.find("status page on port ") + std::string("status page on port ").size();
    const int port = std::stoi(log.substr(at));
    ASSERT_TRUE(wait_until([&] { return http_get(port, "/status.json").first == 200; },
                           kStartDeadline, 50ms))
        << serve->log();
    const BrowserLikeConnections browser(port);
    ASSERT_TRUE(browser.answered()) << serve->log();
    expect_prompt_exit(*serve);
}

TEST(ExitOnSigterm, IdleIndexerExitsWithinASecond) {
    expect_idle_worker_exits_promptly("kt-indexer");
}

TEST(ExitOnSigterm, IdleDelayerExitsWithinASecond) {
    expect_idle_worker_exits_promptly("kt-delayer");
}

TEST(ExitOnSigterm, IdleCascaderExitsWithinASecond) {
    expect_idle_worker_exits_promptly("kt-cascader");
}

/// Starts a development server of the stack's light variant on free ports, waits until it has
/// written its ready file, and expects a prompt exit on SIGTERM.
void expect_dev_server_exits_promptly(const std::string& binary, std::vector<std::string> args) {
    const std::string name = unique_name("sxd");
    const auto ready = std::filesystem::temp_directory_path() / (name + ".ready");
    args.insert(args.end(), {"--ready-file", ready.string()});
    WorkerProcess server(WorkerProcessOptions{binary, args, {}, {}});
    ASSERT_TRUE(wait_until(
        [&] {
            std::error_code ec;
            return std::filesystem::file_size(ready, ec) > 0 && !ec;
        },
        kStartDeadline))
        << server.log();
    expect_prompt_exit(server);
    std::error_code ignored;
    std::filesystem::remove(ready, ignored);
}

TEST(ExitOnSigterm, KtDevbrokerExitsWithinASecond) {
    expect_dev_server_exits_promptly(KT_BINARY_DIR "/tools/devbroker/kt-devbroker",
                                     {"--brokers", "1", "--control-port", "0"});
}

TEST(ExitOnSigterm, KtEsStandinExitsWithinASecond) {
    expect_dev_server_exits_promptly(KT_BINARY_DIR "/tools/es-standin/kt-es-standin",
                                     {"--port", "0"});
}

}  // namespace
}  // namespace kt::test
