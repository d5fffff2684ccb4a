#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <sstream>
#include <stop_token>
#include <string>
#include <tuple>
#include <vector>

#include "lib/error.hpp"
#include "lib/es/bulk_client.hpp"

namespace kt::es {
namespace {

using nlohmann::json;
using Op = BulkAction::Op;

/// The ids of a bulk request body, in order.
std::vector<std::string> ids_of(const std::string& body) {
    std::vector<std::string> ids;
    std::istringstream in(body);
    for (std::string line; std::getline(in, line);) {
        const json j = json::parse(line);
        if (j.contains("index")) {
            ids.push_back(j["index"]["_id"]);
            std::getline(in, line);  // source
        } else {
            ids.push_back(j["delete"]["_id"]);
        }
    }
    return ids;
}

/// Answers a bulk request: one item per id with the status `status_of(id, attempt)`.
Response bulk_answer(const std::vector<std::string>& ids,
                     const std::function<int(const std::string&)>& status_of) {
    json items = json::array();
    bool errors = false;
    for (const auto& id : ids) {
        const int status = status_of(id);
        json item = {{"_id", id}, {"status", status}};
        if (status >= 300) {
            errors = true;
            item["error"] = {{"type", status == 429   ? "es_rejected_execution_exception"
                                      : status == 400 ? "mapper_parsing_exception"
                                                      : "some_exception"},
                             {"reason", "because"}};
        }
        items.push_back({{"index", item}});
    }
    return Response{200, json{{"took", 1}, {"errors", errors}, {"items", items}}.dump(), {}};
}

/// A scripted transport: each request is answered by the next handler (the last one repeats).
class FakeTransport final : public Transport {
public:
    using Handler = std::function<Response(const Request&, const std::vector<std::string>& ids)>;

    explicit FakeTransport(std::vector<Handler> script) : script_(std::move(script)) {}

    Response perform(const Request& request) override {
        requests.push_back(request);
        sent_ids.push_back(ids_of(request.body));
        const std::size_t at = std::min(requests.size() - 1, script_.size() - 1);
        return script_[at](request, sent_ids.back());
    }

    std::vector<Request> requests;
    std::vector<std::vector<std::string>> sent_ids;

private:
    std::vector<Handler> script_;
};

FakeTransport::Handler all_status(int status) {
    return [status](const Request&, const std::vector<std::string>& ids) {
        return bulk_answer(ids, [status](const std::string&) { return status; });
    };
}

FakeTransport::Handler whole(int status, std::string body = "") {
    return [status, body](const Request&, const std::vector<std::string>&) {
        return Response{status, body, {}};
    };
}

struct Fixture {
    std::vector<std::string> ids;
    std::vector<std::string> sources;
    std::vector<BulkAction> actions;

    explicit Fixture(int n) {
        ids.reserve(static_cast<std::size_t>(n));
        sources.reserve(static_cast<std::size_t>(n));
        for (int i = 1; i <= n; ++i) {
            ids.push_back(std::to_string(i));
            sources.push_back(json{{"n", i}}.dump());
        }
        for (std::size_t i = 0; i < ids.size(); ++i) {
            actions.push_back({Op::kIndex, ids[i], sources[i], {}});
        }
    }
};

struct Harness {
    FakeTransport* fake = nullptr;
    std::vector<std::chrono::milliseconds> sleeps;
    std::function<void()> on_sleep;
    std::unique_ptr<BulkClient> client;

    Harness(std::vector<FakeTransport::Handler> script, BulkClientOptions options = {}) {
        auto transport = std::make_unique<FakeTransport>(std::move(script));
        fake = transport.get();
        client = std::make_unique<BulkClient>(
            std::move(transport), options,
            [this](std::chrono::milliseconds d, const std::stop_token& stop) {
                sleeps.push_back(d);
                if (on_sleep) on_sleep();
                return !stop.stop_requested();
            },
            [] { return 0.5; });
    }
};

TEST(BulkClientSend, PostsNdjsonToTheIndexBulkEndpoint) {
    Fixture f(3);
    Harness h({all_status(201)});
    const BulkOutcome outcome = h.client->send("products_1", f.actions);
    ASSERT_EQ(h.fake->requests.size(), 1U);
    const Request& request = h.fake->requests[0];
    EXPECT_EQ(request.method, Method::kPost);
    EXPECT_TRUE(request.target.starts_with("/products_1/_bulk")) << request.target;
    EXPECT_EQ(request.content_type, "application/x-ndjson");
    EXPECT_EQ(request.body, build_bulk_body(f.actions));
    EXPECT_EQ(outcome.http_status, 200);
    ASSERT_EQ(outcome.items.size(), 3U);
    for (const auto& item : outcome.items) EXPECT_EQ(item.outcome, Outcome::kDone);
    EXPECT_FALSE(outcome.throttled);
}

TEST(BulkClientSend, WholeRequest429Or5xxMakesEveryItemRetry) {
    Fixture f(2);
    Harness h(
        {whole(429, R"({"error":{"type":"es_rejected_execution_exception","reason":"busy"}})"),
         whole(503)});
    BulkOutcome outcome = h.client->send("i", f.actions);
    EXPECT_TRUE(outcome.throttled);
    ASSERT_EQ(outcome.items.size(), 2U);
    for (const auto& item : outcome.items) {
        EXPECT_EQ(item.outcome, Outcome::kRetry);
        EXPECT_EQ(item.status, 429);
        EXPECT_EQ(item.error_type, "es_rejected_execution_exception");
    }
    outcome = h.client->send("i", f.actions);
    EXPECT_FALSE(outcome.throttled);
    for (const auto& item : outcome.items) EXPECT_EQ(item.outcome, Outcome::kRetry);
}

TEST(BulkClientSend, ConnectionErrorMakesEveryItemRetry) {
    Fixture f(2);
    Harness h({[](const Request&, const std::vector<std::string>&) -> Response {
        throw kt::TransientError("connection refused");
    }});
    const BulkOutcome outcome = h.client->send("i", f.actions);
    EXPECT_EQ(outcome.http_status, 0);
    for (const auto& item : outcome.items) {
        EXPECT_EQ(item.outcome, Outcome::kRetry);
        EXPECT_EQ(item.error_type, "connection_error");
    }
}

TEST(BulkClientSend, WholeRequest4xxThrowsEsErrorWithType) {
    Fixture f(1);
    Harness h(
        {whole(403, R"({"error":{"type":"security_exception","reason":"no"},"status":403})")});
    try {
        (void)h.client->send("i", f.actions);
        FAIL() << "expected EsError";
    } catch (const kt::EsError& e) {
        EXPECT_EQ(e.status(), 403);
        EXPECT_EQ(e.type(), "security_exception");
        EXPECT_FALSE(e.retryable());
    }
}

TEST(BulkClientSend, UnreadableSuccessIsRetriedNeverDone) {
    Fixture f(2);
    Harness h({whole(200, R"({"errors":false,"items":[{"index":{"status":201}}]})")});
    const BulkOutcome outcome = h.client->send("i", f.actions);
    for (const auto& item : outcome.items) {
        EXPECT_EQ(item.outcome, Outcome::kRetry);
        EXPECT_EQ(item.error_type, "malformed_response");
    }
}

TEST(BulkClientWrite, ResendsOnlyRetryableItemsUntilDone) {
    Fixture f(5);
    Harness h({
        whole(429),
        [](const Request&, const std::vector<std::string>& ids) {
            return bulk_answer(
                ids, [](const std::string& id) { return id == "2" || id == "4" ? 429 : 201; });
        },
        all_status(200),
    });
    const WriteResult result = h.client->write("i", f.actions);
    ASSERT_EQ(h.fake->sent_ids.size(), 3U);
    EXPECT_EQ(h.fake->sent_ids[0], (std::vector<std::string>{"1", "2", "3", "4", "5"}));
    EXPECT_EQ(h.fake->sent_ids[1], (std::vector<std::string>{"1", "2", "3", "4", "5"}));
    EXPECT_EQ(h.fake->sent_ids[2], (std::vector<std::string>{"2", "4"}));
    EXPECT_FALSE(result.stopped);
    EXPECT_EQ(result.count(Outcome::kDone), 5U);
    EXPECT_EQ(result.first_unwritten(), 5U);
    EXPECT_EQ(h.sleeps.size(), 2U);
    // r = 0.5 of the base ceiling each time: the second round wrote items 1, 3 and 5.
    EXPECT_EQ(h.sleeps[0], std::chrono::milliseconds(50));
    EXPECT_EQ(h.sleeps[1], std::chrono::milliseconds(50));
    EXPECT_EQ(result.requests.throttled, 1U);
    EXPECT_EQ(result.requests.partial, 1U);
    EXPECT_EQ(result.requests.ok, 1U);
    EXPECT_EQ(result.requests.retries, 2U);
}

TEST(BulkClientWrite, BackoffGrowsOnlyOverRoundsThatWroteNothing) {
    Fixture f(6);
    BulkClientOptions options;
    options.bulk_size = {6, 1, 0.0};
    int calls = 0;
    // Three rejected requests, then rounds that each write one item and throttle the rest.
    Harness h({[&calls](const Request&, const std::vector<std::string>& ids) {
                  if (++calls <= 3) return Response{503, "", {}};
                  return bulk_answer(
                      ids, [&ids](const std::string& id) { return id == ids.front() ? 201 : 429; });
              }},
              options);
    const WriteResult result = h.client->write("i", f.actions);
    EXPECT_EQ(result.count(Outcome::kDone), 6U);
    ASSERT_GE(h.sleeps.size(), 5U);
    // 50, 100, 200 ms while nothing is written; 50 ms after every round that wrote one.
    EXPECT_EQ(h.sleeps[0], std::chrono::milliseconds(50));
    EXPECT_EQ(h.sleeps[1], std::chrono::milliseconds(100));
    EXPECT_EQ(h.sleeps[2], std::chrono::milliseconds(200));
    for (std::size_t i = 3; i < h.sleeps.size(); ++i) {
        EXPECT_EQ(h.sleeps[i], std::chrono::milliseconds(50)) << "sleep " << i;
    }
    EXPECT_EQ(result.requests.failed, 3U);
    EXPECT_EQ(result.requests.partial, h.sleeps.size() - 3);
    EXPECT_GE(result.requests.ok, 1U);
    EXPECT_EQ(result.requests.retries, h.sleeps.size());
}

TEST(BulkClientWrite, DeadItemsAreReportedAndNotResent) {
    Fixture f(3);
    Harness h({
        [](const Request&, const std::vector<std::string>& ids) {
            return bulk_answer(ids, [](const std::string& id) {
                return id == "2" ? 400 : id == "3" ? 503 : 201;
            });
        },
        all_status(201),
    });
    const WriteResult result = h.client->write("i", f.actions);
    ASSERT_EQ(h.fake->sent_ids.size(), 2U);
    EXPECT_EQ(h.fake->sent_ids[1], (std::vector<std::string>{"3"}));
    EXPECT_EQ(result.items[0].outcome, Outcome::kDone);
    EXPECT_EQ(result.items[1].outcome, Outcome::kDead);
    EXPECT_EQ(result.items[1].status, 400);
    EXPECT_EQ(result.items[1].error_type, "mapper_parsing_exception");
    EXPECT_EQ(result.items[2].outcome, Outcome::kDone);
    EXPECT_EQ(result.first_unwritten(), 3U);
}

TEST(BulkClientWrite, StopDuringBackoffReturnsUnwrittenItems) {
    Fixture f(4);
    Harness h({[](const Request&, const std::vector<std::string>& ids) {
        return bulk_answer(ids, [](const std::string& id) { return id == "3" ? 429 : 201; });
    }});
    std::stop_source stop;
    h.on_sleep = [&stop] { stop.request_stop(); };
    const WriteResult result = h.client->write("i", f.actions, stop.get_token());
    EXPECT_TRUE(result.stopped);
    EXPECT_EQ(h.fake->requests.size(), 1U);
    EXPECT_EQ(result.items[0].outcome, Outcome::kDone);
    EXPECT_EQ(result.items[1].outcome, Outcome::kDone);
    EXPECT_EQ(result.items[2].outcome, Outcome::kRetry);
    EXPECT_EQ(result.items[3].outcome, Outcome::kDone);
    EXPECT_EQ(result.first_unwritten(), 2U);
}

TEST(BulkClientWrite, StopBeforeStartSendsNothingAndReportsAllUnwritten) {
    Fixture f(2);
    Harness h({all_status(201)});
    std::stop_source stop;
    stop.request_stop();
    const WriteResult result = h.client->write("i", f.actions, stop.get_token());
    EXPECT_TRUE(result.stopped);
    EXPECT_TRUE(h.fake->requests.empty());
    EXPECT_EQ(result.first_unwritten(), 0U);
    EXPECT_EQ(result.count(Outcome::kRetry), 2U);
}

TEST(BulkClientWrite, ConnectionErrorsAreRetriedNotReportedDone) {
    Fixture f(2);
    int calls = 0;
    Harness h({[&calls](const Request&, const std::vector<std::string>& ids) {
        if (++calls <= 3) throw kt::TransientError("timeout");
        return bulk_answer(ids, [](const std::string&) { return 201; });
    }});
    const WriteResult result = h.client->write("i", f.actions);
    EXPECT_EQ(calls, 4);
    EXPECT_EQ(result.count(Outcome::kDone), 2U);
    EXPECT_EQ(h.sleeps.size(), 3U);
}

TEST(BulkClientWrite, SplitsIntoChunksOfTheBulkSize) {
    Fixture f(5);
    BulkClientOptions options;
    options.bulk_size = {2, 1, 0.10};
    Harness h({all_status(201)}, options);
    const WriteResult result = h.client->write("i", f.actions);
    ASSERT_EQ(h.fake->sent_ids.size(), 3U);
    EXPECT_EQ(h.fake->sent_ids[0], (std::vector<std::string>{"1", "2"}));
    EXPECT_EQ(h.fake->sent_ids[1], (std::vector<std::string>{"3", "4"}));
    EXPECT_EQ(h.fake->sent_ids[2], (std::vector<std::string>{"5"}));
    EXPECT_EQ(result.count(Outcome::kDone), 5U);
    EXPECT_TRUE(h.sleeps.empty());
}

TEST(BulkClientWrite, BackpressureHalvesTheNextChunk) {
    Fixture f(8);
    BulkClientOptions options;
    options.bulk_size = {8, 2, 0.10};
    Harness h({whole(429), all_status(201)}, options);
    const WriteResult result = h.client->write("i", f.actions);
    ASSERT_GE(h.fake->sent_ids.size(), 3U);
    EXPECT_EQ(h.fake->sent_ids[0].size(), 8U);
    EXPECT_EQ(h.fake->sent_ids[1], (std::vector<std::string>{"1", "2", "3", "4"}));
    EXPECT_EQ(h.fake->sent_ids[2].front(), "5");
    EXPECT_EQ(result.count(Outcome::kDone), 8U);
    EXPECT_GT(h.client->bulk_size(), 4U);  // grew again after successes
}

TEST(BulkClientWrite, RetriedItemsKeepTheirPlaceBeforeUnsentOnes) {
    Fixture f(4);
    BulkClientOptions options;
    options.bulk_size = {2, 1, 0.0};
    int calls = 0;
    Harness h({[&calls](const Request&, const std::vector<std::string>& ids) {
                  ++calls;
                  return bulk_answer(ids, [&calls](const std::string& id) {
                      return calls == 1 && id == "2" ? 503 : 201;
                  });
              }},
              options);
    const WriteResult result = h.client->write("i", f.actions);
    ASSERT_EQ(h.fake->sent_ids.size(), 3U);
    EXPECT_EQ(h.fake->sent_ids[1], (std::vector<std::string>{"2", "3"}));
    EXPECT_EQ(h.fake->sent_ids[2], (std::vector<std::string>{"4"}));
    EXPECT_EQ(result.count(Outcome::kDone), 4U);
}

TEST(BulkClientWrite, NonRetryableRequestErrorPropagates) {
    Fixture f(1);
    Harness h({whole(401, R"({"error":{"type":"security_exception","reason":"bad creds"}})")});
    EXPECT_THROW((void)h.client->write("i", f.actions), kt::EsError);
}

/// A bulk answer whose items all carry `type` and `reason` with `status`.
FakeTransport::Handler all_error(int status, std::string type, std::string reason) {
    return [=](const Request&, const std::vector<std::string>& ids) {
        json items = json::array();
        for (const auto& id : ids) {
            items.push_back({{"index",
                              {{"_id", id},
                               {"status", status},
                               {"error", {{"type", type}, {"reason", reason}}}}}});
        }
        return Response{200, json{{"took", 1}, {"errors", true}, {"items", items}}.dump(), {}};
    };
}

TEST(BulkClientWrite, AnIndexThatRefusesEveryWriteThrowsNamingTheFixAndKillsNoItem) {
    const std::vector<std::tuple<int, std::string, std::string, std::string>> cases{
        {400, "illegal_argument_exception",
         "no write index is defined for alias [products]. The write index may be explicitly "
         "disabled using is_write_index=false or the alias points to multiple indices without "
         "one being designated as a write index",
         "none is its write index"},
        {403, "cluster_block_exception",
         "index [products_1] blocked by: [FORBIDDEN/8/index write (api)];", "index.blocks.write"},
        {404, "index_not_found_exception", "no such index [products] and [action.auto_create_"
                                           "index] is [false]",
         "kt reindex"},
        {403, "security_exception", "action [indices:data/write/bulk[s]] is unauthorized",
         "write privilege"},
    };
    for (const auto& [status, type, reason, fix] : cases) {
        Fixture f(3);
        Harness h({all_error(status, type, reason)});
        try {
            (void)h.client->write("products", f.actions);
            ADD_FAILURE() << type << ": no error";
        } catch (const kt::EsError& e) {
            EXPECT_EQ(e.status(), status);
            EXPECT_EQ(e.type(), type);
            EXPECT_NE(std::string(e.what()).find("refuses writes to products as a whole"),
                      std::string::npos)
                << e.what();
            EXPECT_NE(std::string(e.what()).find(fix), std::string::npos) << e.what();
        }
        EXPECT_EQ(h.fake->requests.size(), 1U) << type;  // no resend inside the client
    }
}

TEST(BulkClientWrite, ADocumentsOwnBadArgumentIsStillDead) {
    Fixture f(1);
    Harness h({all_error(400, "illegal_argument_exception",
                         "Limit of total fields [1000] has been exceeded")});
    const WriteResult result = h.client->write("i", f.actions);
    EXPECT_EQ(result.items[0].outcome, Outcome::kDead);
}

TEST(BulkClientWrite, EmptyBatchSendsNothing) {
    Harness h({all_status(201)});
    const WriteResult result = h.client->write("i", {});
    EXPECT_TRUE(result.items.empty());
    EXPECT_TRUE(h.fake->requests.empty());
}

TEST(InterruptibleSleeper, ReturnsFalseAtOnceWhenStopped) {
    std::stop_source stop;
    stop.request_stop();
    const auto sleeper = interruptible_sleeper();
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(sleeper(std::chrono::hours(1), stop.get_token()));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::minutes(1));
}

TEST(InterruptibleSleeper, ReturnsTrueAfterAShortDelay) {
    const auto sleeper = interruptible_sleeper();
    EXPECT_TRUE(sleeper(std::chrono::milliseconds(1), std::stop_token{}));
}

}  // namespace
}  // namespace kt::es
