#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <string>

#include "lib/error.hpp"
#include "lib/http/status_server.hpp"
#include "lib/metrics/registry.hpp"

namespace kt::http {
namespace {

constexpr const char* kLoopback = "127.0.0.1";

StatusServerOptions loopback_any_port() {
    return {kLoopback, 0};
}

httplib::Result get(int port, const std::string& path) {
    httplib::Client client(kLoopback, port);
    client.set_connection_timeout(std::chrono::seconds(5));
    client.set_read_timeout(std::chrono::seconds(5));
    return client.Get(path);
}

TEST(HttpStatusServer, ServesMetricsFromTheRegistry) {
    metrics::Registry registry;
    auto& docs = registry.counter("kt_indexer_documents_total", "Documents written.",
                                  {{"index", "products"}});
    StatusServer server(loopback_any_port(), registry, {}, {});
    ASSERT_GT(server.port(), 0);

    docs.inc(7);
    auto res = get(server.port(), "/metrics");
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_EQ(res->body, registry.render());
    EXPECT_NE(res->body.find("kt_indexer_documents_total{index=\"products\"} 7\n"),
              std::string::npos);

    docs.inc();
    res = get(server.port(), "/metrics");
    ASSERT_TRUE(res);
    EXPECT_NE(res->body.find("kt_indexer_documents_total{index=\"products\"} 8\n"),
              std::string::npos);
}

TEST(HttpStatusServer, HealthzAndReadyzFollowTheirCallbacks) {
    metrics::Registry registry;
    std::atomic<bool> ready{true};
    StatusServer server(
        loopback_any_port(), registry,
        [] {
            return Check{true, "loop alive"};
        },
        [&ready] {
            return ready ? Check{true, {}} : Check{false, "postgres unreachable: timeout"};
        });

    auto res = get(server.port(), "/healthz");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, "ok: loop alive\n");

    res = get(server.port(), "/readyz");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, "ok\n");

    ready = false;
    res = get(server.port(), "/readyz");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 503);
    EXPECT_EQ(res->body, "unavailable: postgres unreachable: timeout\n");

    res = get(server.port(), "/healthz");  // readiness does not affect liveness
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);

    ready = true;
    res = get(server.port(), "/readyz");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
}

TEST(HttpStatusServer, ThrowingCheckAnswers503WithTheReason) {
    metrics::Registry registry;
    StatusServer server(loopback_any_port(), registry,
                        []() -> Check { throw kt::Error("consumer handle closed"); }, {});
    auto res = get(server.port(), "/healthz");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 503);
    EXPECT_NE(res->body.find("consumer handle closed"), std::string::npos) << res->body;
}

TEST(HttpStatusServer, UnknownPathIs404) {
    metrics::Registry registry;
    StatusServer server(loopback_any_port(), registry, {}, {});
    auto res = get(server.port(), "/nope");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 404);
}

TEST(HttpStatusServer, BindFailureNamesThePort) {
    metrics::Registry registry;
    StatusServer first(loopback_any_port(), registry, {}, {});
    const std::string port = std::to_string(first.port());
    try {
        StatusServer second({kLoopback, first.port()}, registry, {}, {});
        FAIL() << "a second server bound port " << port;
    } catch (const kt::Error& e) {
        EXPECT_NE(std::string(e.what()).find(port), std::string::npos) << e.what();
    }
    EXPECT_THROW(StatusServer({kLoopback, 70000}, registry, {}, {}), kt::Error);
    // The first server is unaffected.
    auto res = get(first.port(), "/healthz");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
}

TEST(HttpStatusServer, StopClosesThePortPromptlyAndIsIdempotent) {
    metrics::Registry registry;
    StatusServer server(loopback_any_port(), registry, {}, {});
    const int port = server.port();
    {
        // A keep-alive client left open must not hold up stop() for long.
        httplib::Client client(kLoopback, port);
        client.set_keep_alive(true);
        auto res = client.Get("/healthz");
        ASSERT_TRUE(res);
        EXPECT_EQ(res->status, 200);

        const auto started = std::chrono::steady_clock::now();
        server.stop();
        EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4));
    }
    server.stop();
    EXPECT_FALSE(get(port, "/healthz"));
}

TEST(HttpStatusServer, DestructorRightAfterConstructionStops) {
    metrics::Registry registry;
    int port = 0;
    {
        StatusServer server(loopback_any_port(), registry, {}, {});
        port = server.port();
    }
    EXPECT_FALSE(get(port, "/healthz"));
    // The port is free again.
    StatusServer again({kLoopback, port}, registry, {}, {});
    EXPECT_EQ(again.port(), port);
}

}  // namespace
}  // namespace kt::http
