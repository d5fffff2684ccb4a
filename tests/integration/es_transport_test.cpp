#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "lib/error.hpp"
#include "lib/es/curl_transport.hpp"
#include "lib/non_copyable.hpp"
#include "tests/support/test_env.hpp"

namespace kt::es {
namespace {

using namespace std::chrono_literals;

/// What the local HTTP server saw of the last request.
struct Seen {
    std::string method;
    std::string path;
    std::string body;
    std::string content_encoding;
    std::string content_length;
    std::string authorization;
    std::string accept_encoding;
    std::set<int> client_ports;
};

/// A loopback HTTP server on a free port, run on its own thread for one test.
class LocalServer : private NonCopyable {
public:
    LocalServer() {
        const auto record = [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mutex_);
            seen_.method = req.method;
            seen_.path = req.path;
            seen_.body = req.body;
            seen_.content_encoding = req.get_header_value("Content-Encoding");
            seen_.content_length = req.get_header_value("Content-Length");
            seen_.authorization = req.get_header_value("Authorization");
            seen_.accept_encoding = req.get_header_value("Accept-Encoding");
            seen_.client_ports.insert(req.remote_port);
            res.status = 200;
            res.set_content(R"({"ok":true})", "application/json");
        };
        server_.Post("/echo", record);
        server_.Put("/echo", record);
        server_.Get("/echo", record);
        server_.Delete("/echo", record);
        server_.Get("/big", [](const httplib::Request&, httplib::Response& res) {
            std::string body = "[";
            for (int i = 0; i < 2000; ++i) body += R"({"field":"repeated value"},)";
            body += "{}]";
            res.set_content(body, "application/json");
        });
        server_.Get("/slow", [this](const httplib::Request&, httplib::Response& res) {
            std::unique_lock lock(mutex_);
            (void)released_cv_.wait_for(lock, 10s, [this] { return released_; });
            res.set_content("{}", "application/json");
        });
        // Accepted sockets inherit TCP_NODELAY; without it Nagle + delayed ACK add ~40 ms to
        // every request on a reused connection.
        server_.set_socket_options([](int sock) {
            int yes = 1;
            setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
            setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
        });
        port_ = server_.bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        EXPECT_TRUE(kt::test::wait_until([this] { return server_.is_running(); }, 5s));
    }
    ~LocalServer() {
        release_slow();
        server_.stop();
        thread_.join();
    }

    [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    [[nodiscard]] Seen seen() {
        std::lock_guard lock(mutex_);
        return seen_;
    }
    void release_slow() {
        {
            std::lock_guard lock(mutex_);
            released_ = true;
        }
        released_cv_.notify_all();
    }

private:
    httplib::Server server_;
    int port_ = 0;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable released_cv_;
    bool released_ = false;
    Seen seen_;
};

Options options_for(const LocalServer& server) {
    Options options;
    options.url = server.url() + "/";  // a trailing slash must not double up
    options.timeout = 5s;
    return options;
}

std::string large_body() {
    std::string body;
    for (int i = 0; i < 200; ++i)
        body += R"({"index":{"_id":"1"}})"
                "\n"
                R"({"a":"b"})"
                "\n";
    return body;
}

TEST(CurlTransport, GzipsLargeBodiesOnlyWhenEnabled) {
    LocalServer server;
    const std::string body = large_body();
    ASSERT_GT(body.size(), kCompressThreshold);

    CurlTransport gzip(options_for(server));
    Response response = gzip.perform({Method::kPost, "/echo", body, "application/x-ndjson", {}});
    EXPECT_EQ(response.status, 200);
    Seen seen = server.seen();
    EXPECT_EQ(seen.content_encoding, "gzip");
    EXPECT_LT(std::stoul(seen.content_length), body.size() / 4);
    EXPECT_EQ(seen.body, body);  // the server inflated it back

    Options plain_options = options_for(server);
    plain_options.compression = false;
    CurlTransport plain(plain_options);
    (void)plain.perform({Method::kPost, "/echo", body, "application/x-ndjson", {}});
    seen = server.seen();
    EXPECT_EQ(seen.content_encoding, "");
    EXPECT_EQ(seen.body, body);

    (void)gzip.perform({Method::kPut, "/echo", R"({"small":true})", "application/json", {}});
    seen = server.seen();
    EXPECT_EQ(seen.method, "PUT");
    EXPECT_EQ(seen.content_encoding, "");
    EXPECT_EQ(seen.body, R"({"small":true})");
}

TEST(CurlTransport, AcceptsGzipAnswersAndDecodesThem) {
    LocalServer server;
    CurlTransport transport(options_for(server));
    const Response response = transport.perform({Method::kGet, "/big", {}, {}, {}});
    EXPECT_EQ(response.status, 200);
    ASSERT_NE(response.header("content-encoding"), nullptr);
    EXPECT_EQ(*response.header("content-encoding"), "gzip");
    EXPECT_TRUE(response.body.starts_with(R"([{"field":"repeated value"},)"));
    EXPECT_TRUE(response.body.ends_with("{}]"));
}

TEST(CurlTransport, SendsBasicAuthOrApiKey) {
    LocalServer server;
    Options basic = options_for(server);
    basic.username = "elastic";
    basic.password = "changeme";
    CurlTransport with_basic(basic);
    (void)with_basic.perform({Method::kGet, "/echo", {}, {}, {}});
    EXPECT_EQ(server.seen().authorization, "Basic ZWxhc3RpYzpjaGFuZ2VtZQ==");

    Options key = options_for(server);
    key.api_key = "a2V5OnNlY3JldA==";
    CurlTransport with_key(key);
    (void)with_key.perform({Method::kDelete, "/echo", {}, {}, {}});
    EXPECT_EQ(server.seen().authorization, "ApiKey a2V5OnNlY3JldA==");
    EXPECT_EQ(server.seen().method, "DELETE");
    EXPECT_NE(server.seen().accept_encoding.find("gzip"), std::string::npos);
}

TEST(CurlTransport, ReusesOneConnection) {
    LocalServer server;
    CurlTransport transport(options_for(server));
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(transport.perform({Method::kPost, "/echo", "{}", "application/json", {}}).status,
                  200);
    }
    EXPECT_EQ(server.seen().client_ports.size(), 1U);
}

TEST(CurlTransport, TimeoutIsTransientAndTheObjectStaysUsable) {
    LocalServer server;
    Options options = options_for(server);
    options.timeout = 300ms;
    CurlTransport transport(options);
    EXPECT_THROW((void)transport.perform({Method::kGet, "/slow", {}, {}, {}}), kt::TransientError);
    server.release_slow();
    EXPECT_EQ(transport.perform({Method::kGet, "/echo", {}, {}, {}}).status, 200);
}

TEST(CurlTransport, ConnectionErrorIsTransientAndRedacted) {
    std::string url;
    {
        LocalServer server;  // a port that was just free and is now closed
        url = server.url();
    }
    Options options;
    options.url = "http://elastic:hunter2@" + url.substr(std::string("http://").size());
    options.password = "hunter2";
    options.timeout = 2s;
    CurlTransport transport(options);
    try {
        (void)transport.perform({Method::kGet, "/", {}, {}, {}});
        FAIL() << "expected TransientError";
    } catch (const kt::TransientError& e) {
        const std::string what = e.what();
        EXPECT_TRUE(e.retryable());
        EXPECT_EQ(what.find("hunter2"), std::string::npos) << what;
        EXPECT_EQ(what.find("elastic:"), std::string::npos) << what;
        EXPECT_NE(what.find("***@127.0.0.1"), std::string::npos) << what;
    }
    EXPECT_EQ(transport.display_url().find("hunter2"), std::string::npos);
}

TEST(CurlTransport, BadUrlSchemeIsAPermanentError) {
    Options options;
    options.url = "gopherx://nowhere";
    CurlTransport transport(options);
    try {
        (void)transport.perform({Method::kGet, "/", {}, {}, {}});
        FAIL() << "expected kt::Error";
    } catch (const kt::TransientError&) {
        FAIL() << "a bad scheme must not be retried forever";
    } catch (const kt::Error& e) {
        EXPECT_FALSE(e.retryable());
    }
}

}  // namespace
}  // namespace kt::es
