#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "lib/error.hpp"
#include "lib/es/bulk_client.hpp"
#include "lib/es/curl_transport.hpp"
#include "lib/es/index_admin.hpp"
#include "lib/non_copyable.hpp"
#include "tests/support/test_env.hpp"

namespace kt::es {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using Op = BulkAction::Op;

Options options_for(const std::string& url) {
    Options options;
    options.url = url;
    options.timeout = 10s;
    return options;
}

std::unique_ptr<Transport> transport_for(const std::string& url, bool compression = true) {
    Options options = options_for(url);
    options.compression = compression;
    return std::make_unique<CurlTransport>(options);
}

/// Fast backoff so retry tests finish quickly; the real sleeper still waits.
BulkClientOptions fast_retry(std::size_t max_bulk = 1000) {
    BulkClientOptions options;
    options.bulk_size = {max_bulk, 5, 0.10};
    options.backoff = {1ms, 20ms};
    return options;
}

std::string write_file(const std::string& name, const std::string& content) {
    std::string path = ::testing::TempDir() + name;
    std::ofstream(path) << content;
    return path;
}

/// The `_source` of document `id`, or null when it does not exist.
json get_source(Transport& transport, const std::string& index, const std::string& id) {
    const Response r = transport.perform(
        {Method::kGet, "/" + index + "/_doc/" + encode_path_segment(id), {}, {}, {}});
    if (r.status == 404) return nullptr;
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body).value("_source", json());
}

/// Owns the documents' text for a batch of actions.
struct Docs {
    std::vector<std::string> ids;
    std::vector<std::string> sources;
    std::vector<BulkAction> actions;

    void index(std::string id, json source, std::optional<std::int64_t> version = {}) {
        ids.push_back(std::move(id));
        sources.push_back(source.dump());
        ops.emplace_back(Op::kIndex, version);
    }
    void remove(std::string id, std::optional<std::int64_t> version = {}) {
        ids.push_back(std::move(id));
        sources.emplace_back();
        ops.emplace_back(Op::kDelete, version);
    }
    const std::vector<BulkAction>& build() {
        actions.clear();
        for (std::size_t i = 0; i < ids.size(); ++i) {
            actions.push_back({ops[i].first, ids[i], sources[i], ops[i].second});
        }
        return actions;
    }

private:
    std::vector<std::pair<Op, std::optional<std::int64_t>>> ops;
};

/// Creates `<alias>_<ts>` behind a fresh alias on the stand-in at `url`; returns the alias.
std::string fresh_alias(const std::string& url, const std::string& mappings = "{}") {
    std::string alias = kt::test::unique_name("es_bulk");
    IndexAdmin admin(transport_for(url));
    const std::string path = write_file(alias + ".json", mappings);
    (void)admin.ensure_alias(alias, path, std::chrono::system_clock::now());
    std::remove(path.c_str());
    return alias;
}

TEST(EsIndexAdmin, EnsureAliasCreatesTimestampedIndexAndAlias) {
    const std::string url = kt::test::es_url();
    IndexAdmin admin(transport_for(url));
    const std::string alias = kt::test::unique_name("es_alias");
    const std::string path = write_file(
        alias + ".json",
        R"({"settings":{"number_of_shards":1},"mappings":{"properties":{"title":{"type":"text"}}}})");
    const auto now = std::chrono::system_clock::now();
    ASSERT_FALSE(admin.alias_exists(alias));

    const EnsuredAlias created = admin.ensure_alias(alias, path, now);
    EXPECT_TRUE(created.created);
    ASSERT_EQ(created.indices.size(), 1U);
    EXPECT_EQ(created.indices[0], physical_index_name(alias, now));
    EXPECT_TRUE(admin.alias_exists(alias));
    EXPECT_EQ(admin.indices_of_alias(alias), created.indices);

    const EnsuredAlias again = admin.ensure_alias(alias, path, now + 1h);
    EXPECT_FALSE(again.created);
    EXPECT_EQ(again.indices, created.indices);
    std::remove(path.c_str());

    // An index (not an alias) with the alias name is refused with a clear error.
    const std::string plain = kt::test::unique_name("es_plain");
    admin.create_index(plain, "{}");
    try {
        (void)admin.ensure_alias(plain, "", now);
        FAIL() << "expected EsError";
    } catch (const kt::EsError& e) {
        EXPECT_NE(std::string(e.what()).find("an index named " + plain), std::string::npos);
    }
    EXPECT_TRUE(admin.delete_index(plain));
    EXPECT_FALSE(admin.delete_index(plain));
    EXPECT_TRUE(admin.delete_index(created.indices[0]));
}

TEST(EsBulk, RoundTripWithIndexAndDelete) {
    const std::string url = kt::test::es_url();
    const std::string alias = fresh_alias(url);
    BulkClient client(transport_for(url), fast_retry());
    Docs docs;
    docs.index("1", {{"title", "one"}});
    docs.index("2", {{"title", "two"}});
    docs.index("a \"quoted\" id", {{"title", "three"}});
    WriteResult result = client.write(alias, docs.build());
    EXPECT_EQ(result.count(Outcome::kDone), 3U);

    Docs second;
    second.remove("2");
    second.remove("never-existed");
    second.index("1", {{"title", "one, edited"}});
    result = client.write(alias, second.build());
    EXPECT_EQ(result.count(Outcome::kDone), 3U) << result.items[1].error_type;

    IndexAdmin admin(transport_for(url));
    admin.refresh(alias);
    EXPECT_EQ(admin.count(alias), 2U);
    auto& t = admin.transport();
    EXPECT_EQ(get_source(t, alias, "1"), (json{{"title", "one, edited"}}));
    EXPECT_TRUE(get_source(t, alias, "2").is_null());
    EXPECT_EQ(get_source(t, alias, "a \"quoted\" id"), (json{{"title", "three"}}));
}

TEST(EsBulk, OlderExternalVersionIsDoneAndDoesNotOverwrite) {
    const std::string url = kt::test::es_url();
    const std::string alias = fresh_alias(url);
    BulkClient client(transport_for(url), fast_retry());
    Docs newer;
    newer.index("7", {{"v", 5}}, 5);
    ASSERT_EQ(client.write(alias, newer.build()).count(Outcome::kDone), 1U);

    Docs older;
    older.index("7", {{"v", 3}}, 3);
    older.remove("7", 4);
    const WriteResult result = client.write(alias, older.build());
    ASSERT_EQ(result.items.size(), 2U);
    for (const auto& item : result.items) {
        EXPECT_EQ(item.outcome, Outcome::kDone);
        EXPECT_EQ(item.status, 409);
        EXPECT_EQ(item.error_type, "version_conflict_engine_exception");
    }
    IndexAdmin admin(transport_for(url));
    EXPECT_EQ(get_source(admin.transport(), alias, "7"), (json{{"v", 5}}));

    Docs same;
    // external_gte accepts an equal version. (The value stays a number: a real server maps `v`
    // as long from the first document and refuses a string there.)
    same.index("7", {{"v", 55}}, 5);
    const WriteResult again = client.write(alias, same.build());
    ASSERT_EQ(again.items.size(), 1U);
    EXPECT_EQ(again.items[0].status / 100, 2) << again.items[0].error_reason;
    EXPECT_EQ(get_source(admin.transport(), alias, "7"), (json{{"v", 55}}));
}

TEST(EsBulk, StrictMappingViolationIsDeadWithItsErrorType) {
    const std::string url = kt::test::es_url();
    const std::string alias = fresh_alias(
        url, R"({"mappings":{"dynamic":"strict","properties":{"title":{"type":"text"}}}})");
    BulkClient client(transport_for(url), fast_retry());
    Docs docs;
    docs.index("ok", {{"title", "fine"}});
    docs.index("bad", {{"title", "x"}, {"unknown_field", 1}});
    const WriteResult result = client.write(alias, docs.build());
    EXPECT_EQ(result.items[0].outcome, Outcome::kDone);
    EXPECT_EQ(result.items[1].outcome, Outcome::kDead);
    EXPECT_EQ(result.items[1].status, 400);
    EXPECT_EQ(result.items[1].error_type, "strict_dynamic_mapping_exception");
    EXPECT_FALSE(result.items[1].error_reason.empty());
    EXPECT_FALSE(result.stopped);
}

TEST(EsBulk, GzipAndPlainBodiesAreBothAccepted) {
    const std::string url = kt::test::es_url();
    const std::string alias = fresh_alias(url);
    for (const bool compression : {true, false}) {
        BulkClient client(transport_for(url, compression), fast_retry());
        Docs docs;
        for (int i = 0; i < 300; ++i) {
            docs.index(std::to_string(compression ? i : 1000 + i),
                       {{"title", "document number " + std::to_string(i)}, {"n", i}});
        }
        const auto& actions = docs.build();
        ASSERT_GT(build_bulk_body(actions).size(), kCompressThreshold * 10);
        EXPECT_EQ(client.write(alias, actions).count(Outcome::kDone), 300U);
    }
    IndexAdmin admin(transport_for(url));
    admin.refresh(alias);
    EXPECT_EQ(admin.count(alias), 600U);
    EXPECT_EQ(get_source(admin.transport(), alias, "299"),
              (json{{"title", "document number 299"}, {"n", 299}}));
}

/// A private kt-es-standin process, so fault injection never disturbs other tests.
class PrivateStandin : private NonCopyable {
public:
    PrivateStandin() {
        const char* from_env = std::getenv("KT_TEST_ES_STANDIN_BIN");
        const std::string binary =
            from_env != nullptr ? from_env : KT_BINARY_DIR "/tools/es-standin/kt-es-standin";
        if (!std::filesystem::exists(binary)) {
            throw std::runtime_error("kt-es-standin not built: " + binary +
                                     " (set KT_TEST_ES_STANDIN_BIN)");
        }
        ready_file_ = ::testing::TempDir() + kt::test::unique_name("standin") + ".ready";
        pid_ = fork();
        if (pid_ == 0) {
            execl(binary.c_str(), binary.c_str(), "--port", "0", "--ready-file",
                  ready_file_.c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        if (pid_ < 0) throw std::runtime_error("fork failed");
        const bool ready = kt::test::wait_until([this] { return read_url(); }, 20s);
        if (!ready) throw std::runtime_error("kt-es-standin did not become ready");
    }
    ~PrivateStandin() {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            int status = 0;
            waitpid(pid_, &status, 0);
        }
        std::remove(ready_file_.c_str());
    }

    [[nodiscard]] const std::string& url() const { return url_; }

    void set_faults(const json& faults) {
        CurlTransport t(options_for(url_));
        const Response r =
            t.perform({Method::kPut, "/_standin/faults", faults.dump(), "application/json", {}});
        ASSERT_EQ(r.status / 100, 2) << r.body;
    }
    void clear_faults() {
        CurlTransport t(options_for(url_));
        const Response r = t.perform({Method::kDelete, "/_standin/faults", {}, {}, {}});
        ASSERT_EQ(r.status / 100, 2) << r.body;
    }

private:
    bool read_url() {
        std::ifstream in(ready_file_);
        for (std::string line; std::getline(in, line);) {
            if (line.starts_with("url=")) {
                url_ = line.substr(4);
                return true;
            }
        }
        return false;
    }

    std::string ready_file_;
    std::string url_;
    pid_t pid_ = -1;
};

TEST(EsBulkFaults, InjectedRejectionsLoseNothing) {
    PrivateStandin standin;
    const std::string alias = fresh_alias(standin.url());
    standin.set_faults({{"bulk_reject_fraction", 0.4}, {"item_reject_fraction", 0.3}, {"seed", 7}});

    BulkClient client(transport_for(standin.url()), fast_retry(100));
    Docs docs;
    for (int i = 0; i < 500; ++i) docs.index(std::to_string(i), {{"n", i}});
    for (int i = 0; i < 500; i += 10) docs.remove(std::to_string(i));  // after their index
    const WriteResult result = client.write(alias, docs.build());
    standin.clear_faults();

    EXPECT_FALSE(result.stopped);
    EXPECT_EQ(result.count(Outcome::kDone), result.items.size());
    IndexAdmin admin(transport_for(standin.url()));
    admin.refresh(alias);
    EXPECT_EQ(admin.count(alias), 450U);
    EXPECT_EQ(get_source(admin.transport(), alias, "499"), (json{{"n", 499}}));
    EXPECT_TRUE(get_source(admin.transport(), alias, "490").is_null());
}

TEST(EsBulkFaults, UnavailableClusterIsRetriedUntilItComesBack) {
    PrivateStandin standin;
    const std::string alias = fresh_alias(standin.url());
    standin.set_faults({{"unavailable", true}});

    int waits = 0;
    const Sleeper real = interruptible_sleeper();
    BulkClient client(transport_for(standin.url()), fast_retry(),
                      [&](std::chrono::milliseconds delay, const std::stop_token& stop) {
                          if (++waits == 3) standin.clear_faults();
                          return real(delay, stop);
                      });
    Docs docs;
    docs.index("1", {{"n", 1}});
    const WriteResult result = client.write(alias, docs.build());
    EXPECT_EQ(waits, 3);
    EXPECT_EQ(result.count(Outcome::kDone), 1U);
}

TEST(EsBulkFaults, StopWhileUnavailableReportsEverythingUnwritten) {
    PrivateStandin standin;
    const std::string alias = fresh_alias(standin.url());
    standin.set_faults({{"unavailable", true}});
    std::stop_source stop;
    int waits = 0;
    const Sleeper real = interruptible_sleeper();
    BulkClient client(transport_for(standin.url()), fast_retry(),
                      [&](std::chrono::milliseconds delay, const std::stop_token& token) {
                          if (++waits == 2) stop.request_stop();
                          return real(delay, token);
                      });
    Docs docs;
    docs.index("1", {{"n", 1}});
    docs.index("2", {{"n", 2}});
    const WriteResult result = client.write(alias, docs.build(), stop.get_token());
    standin.clear_faults();
    EXPECT_TRUE(result.stopped);
    EXPECT_EQ(result.first_unwritten(), 0U);
    EXPECT_EQ(result.items[0].status, 503);
}

TEST(EsBulkFaults, TimeoutAndResetsAreTransientAndRecoverable) {
    PrivateStandin standin;
    const std::string alias = fresh_alias(standin.url());
    Options options = options_for(standin.url());
    options.timeout = 200ms;
    CurlTransport transport(options);
    standin.set_faults({{"latency_ms", 1000}});
    EXPECT_THROW((void)transport.perform({Method::kGet, "/", {}, {}, {}}), kt::TransientError);
    standin.clear_faults();
    EXPECT_EQ(transport.perform({Method::kGet, "/", {}, {}, {}}).status, 200);

    standin.set_faults({{"reset_fraction", 0.5}, {"seed", 3}});
    BulkClient client(transport_for(standin.url()), fast_retry(20));
    Docs docs;
    for (int i = 0; i < 200; ++i) docs.index(std::to_string(i), {{"n", i}});
    const WriteResult result = client.write(alias, docs.build());
    standin.clear_faults();
    EXPECT_EQ(result.count(Outcome::kDone), 200U);
    IndexAdmin admin(transport_for(standin.url()));
    admin.refresh(alias);
    EXPECT_EQ(admin.count(alias), 200U);
}

}  // namespace
}  // namespace kt::es
