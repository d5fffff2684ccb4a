// kt reindex end to end: the real kt executable (and kt-indexer beside it) against PostgreSQL,
// kt-devbroker and the Elasticsearch stand-in (a private one where latency is injected).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "lib/es/curl_transport.hpp"
#include "lib/es/index_scanner.hpp"
#include "lib/es/options.hpp"
#include "lib/kafka/producer.hpp"
#include "tests/support/dev_stack.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/http_server.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/test_env.hpp"
#include "tests/support/worker_process.hpp"

namespace kt::workers {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::HasSubstr;

const std::string kKt = test::binary("kt");

/// A table (bigint key, or text key), its topic and index entry, and a config file.
class ReindexFixture : public test::Fixture {
public:
    explicit ReindexFixture(std::string es_url = test::es_url(), bool shorthand = false,
                            bool text_key = false, bool with_scan_query = true)
        : Fixture("reix"),
          es_url_(std::move(es_url)),
          entry_(test::title_n_source(name(), shorthand, with_scan_query,
                                      text_key ? "text" : "bigint")) {
        create_tables(fmt::format("CREATE TABLE {} (id {} PRIMARY KEY, title text NOT NULL, "
                                  "n bigint)",
                                  name(), text_key ? "text" : "bigint"),
                      {name()});
        delete_indexes_at_end(es_url_, name() + "_*");
        create_topic_with_dead_letters(name(), 4);
        write_config();
    }

    /// From now on, indexes are created from `mappings` (a mappings file).
    void use_mappings(const json& mappings) {
        const std::string file = write_file("mappings.json", mappings.dump());
        mappings_line_ = fmt::format("    mappings_file: \"{}\"\n", file);
        write_config();
    }

    void insert_rows(int from, int to) {
        exec(fmt::format("INSERT INTO {} SELECT i, 't-' || i, i FROM generate_series({}, {}) i",
                         name(), from, to));
    }

    /// Physical indices whose name starts with `<name>_`, sorted.
    std::vector<std::string> physical_indices() {
        httplib::Client client(es_url_);
        const auto res = client.Get("/_cat/indices?format=json");
        std::vector<std::string> out;
        if (!res || res->status != 200) return out;
        for (const auto& row : json::parse(res->body)) {
            const std::string index = row.at("index");
            if (index.rfind(name() + "_", 0) == 0) out.push_back(index);
        }
        std::sort(out.begin(), out.end());
        return out;
    }
    /// Indices the alias points at, sorted.
    std::vector<std::string> alias_indices() {
        httplib::Client client(es_url_);
        const auto res = client.Get("/_alias/" + name());
        std::vector<std::string> out;
        if (!res || res->status != 200) return out;
        const json body = json::parse(res->body);
        for (const auto& [index, value] : body.items()) out.push_back(index);
        std::sort(out.begin(), out.end());
        return out;
    }
    /// Every document behind the alias, by id.
    std::map<std::string, json> documents() {
        es::Options options;
        options.url = es_url_;
        es::CurlTransport transport(options);
        httplib::Client(es_url_).Post("/" + name() + "/_refresh");
        std::map<std::string, json> out;
        es::IndexScanner scanner(transport);
        (void)scanner.scan(name(), [&](std::span<const es::ScannedDocument> page) {
            for (const auto& d : page) out[d.id] = json::parse(d.source);
        });
        return out;
    }
    std::unique_ptr<test::WorkerProcess> start_indexer() {
        return start_worker("kt-indexer", "indexer");
    }

private:
    void write_config() {
        auto config = this->config();
        config.es_url = es_url_;
        config.es_timeout = "10s";
        config.sections =
            fmt::format("indexes:\n  {}:\n{}{}    batch_size: 500\n    batch_wait: 100ms\n",
                        name(), entry_, mappings_line_);
        Fixture::write_config(config);
    }

    std::string es_url_;
    std::string entry_;
    std::string mappings_line_;
};

/// An HTTP proxy in front of an Elasticsearch (the stand-in) that, once armed, forwards the next
/// creation of an index `<prefix>_…` and then answers 504, as a gateway whose upstream took too
/// long: the index exists, but the client is told the request failed.
class CreateFailsProxy {
public:
    explicit CreateFailsProxy(std::string upstream)
        : upstream_(std::move(upstream)), server_([this](httplib::Server& server) {
              const auto handler = [this](const httplib::Request& req, httplib::Response& res) {
                  forward(req, res);
              };
              server.Get(".*", handler);
              server.Put(".*", handler);
              server.Post(".*", handler);
              server.Delete(".*", handler);
          }) {}

    [[nodiscard]] std::string url() const { return server_.url(); }
    /// The next `PUT /<prefix>_…` (an index creation) is forwarded, then answered 504.
    void fail_next_create(const std::string& prefix) {
        std::lock_guard lock(mutex_);
        armed_prefix_ = "/" + prefix + "_";
    }
    /// How many creations were answered 504.
    [[nodiscard]] int failed() {
        std::lock_guard lock(mutex_);
        return failed_;
    }

private:
    void forward(const httplib::Request& req, httplib::Response& res) {
        const bool fail = req.method == "PUT" && take_armed(req.path);
        httplib::Request up;
        up.method = req.method;
        up.path = req.target.empty() ? req.path : req.target;
        up.body = req.body;
        if (req.has_header("Content-Type")) {
            up.headers.emplace("Content-Type", req.get_header_value("Content-Type"));
        }
        httplib::Client client(upstream_);
        const auto answer = client.send(up);
        if (!answer) {
            res.status = 502;
            return;
        }
        if (fail) {
            res.status = 504;
            res.set_content("gateway timeout", "text/plain");
            return;
        }
        res.status = answer->status;
        if (!answer->body.empty()) {
            res.set_content(answer->body, answer->get_header_value("Content-Type"));
        }
    }
    bool take_armed(const std::string& path) {
        std::lock_guard lock(mutex_);
        if (armed_prefix_.empty() || path.rfind(armed_prefix_, 0) != 0 ||
            path.find('/', 1) != std::string::npos) {
            return false;
        }
        armed_prefix_.clear();
        ++failed_;
        return true;
    }

    std::string upstream_;
    std::mutex mutex_;
    std::string armed_prefix_;
    int failed_ = 0;
    test::LocalHttpServer server_;  // last: it stops before what its handlers use goes
};

/// The alias still on `before` alone, no orphan index beside it, `documents` behind it.
void expect_unchanged(ReindexFixture& f, const std::vector<std::string>& before,
                      std::size_t documents) {
    EXPECT_EQ(f.alias_indices(), before);
    EXPECT_EQ(f.physical_indices(), before);  // no orphan
    EXPECT_EQ(f.documents().size(), documents);
}

TEST(ReindexE2e, BuildsANewIndexAndMovesTheAlias) {
    ReindexFixture f;
    f.insert_rows(1, 3000);
    auto run = f.kt("reindex " + f.name());
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_THAT(run.output, HasSubstr("3000 rows into " + f.name() + "_"));
    const auto first = f.alias_indices();
    ASSERT_EQ(first.size(), 1U);
    EXPECT_EQ(f.physical_indices(), first);
    // Refresh and replicas are back after the load.
    httplib::Client client(test::es_url());
    const auto settings = client.Get("/" + first[0] + "/_settings?flat_settings=true");
    ASSERT_TRUE(settings);
    const json flat = json::parse(settings->body)[first[0]]["settings"];
    EXPECT_EQ(flat.value("index.refresh_interval", ""), "1s");
    EXPECT_EQ(flat.value("index.number_of_replicas", ""), "1");

    f.exec(fmt::format("UPDATE {} SET title = 'changed' WHERE id = 5", f.name()));
    run = f.kt("reindex " + f.name() + " --parallel 2");
    ASSERT_EQ(run.exit_code, 0) << run.output;
    const auto second = f.alias_indices();
    ASSERT_EQ(second.size(), 1U);
    EXPECT_NE(second, first);
    EXPECT_EQ(f.physical_indices(), second);  // the old one is gone
    EXPECT_EQ(f.documents().at("5"), (json{{"title", "changed"}, {"n", 5}}));
    run = f.kt("verify " + f.name());
    EXPECT_EQ(run.exit_code, 0) << run.output;

    run = f.kt("reindex " + f.name() + " --keep-old");
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_EQ(f.physical_indices().size(), 2U);
    EXPECT_EQ(f.alias_indices().size(), 1U);
    const auto serving = f.alias_indices();
    run = f.kt("reindex " + f.name() + " --no-swap");
    ASSERT_EQ(run.exit_code, 0) << run.output;
    const auto physical = f.physical_indices();
    ASSERT_EQ(physical.size(), 3U);
    EXPECT_EQ(f.alias_indices(), serving);       // the alias stays where it was
    const std::string& built = physical.back();  // the newest name sorts last
    EXPECT_THAT(run.output, HasSubstr("--no-swap: " + built + " is ready"));
    EXPECT_EQ(std::count(serving.begin(), serving.end(), built), 0);
    const auto built_settings = client.Get("/" + built + "/_settings?flat_settings=true");
    ASSERT_TRUE(built_settings);
    const json built_flat = json::parse(built_settings->body)[built]["settings"];
    EXPECT_EQ(built_flat.value("index.refresh_interval", ""), "1s");
    EXPECT_EQ(built_flat.value("index.number_of_replicas", ""), "1");
}

TEST(ReindexE2e, AQueryWithoutScanQueryIsReadThroughItsDerivedScan) {
    ReindexFixture f(test::es_url(), /*shorthand=*/false, /*text_key=*/false,
                     /*with_scan_query=*/false);
    f.insert_rows(1, 1200);
    auto run = f.kt("reindex " + f.name() + " --parallel 2");
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_THAT(run.output, HasSubstr("1200 rows into " + f.name() + "_"));
    const auto documents = f.documents();
    EXPECT_EQ(documents.size(), 1200U);
    EXPECT_EQ(documents.at("7"), (json{{"title", "t-7"}, {"n", 7}}));
    run = f.kt("verify " + f.name());
    EXPECT_EQ(run.exit_code, 0) << run.output;
}

TEST(ReindexE2e, IdsAreReindexedInPlace) {
    ReindexFixture f;
    f.insert_rows(1, 20);
    ASSERT_EQ(f.kt("reindex " + f.name()).exit_code, 0);
    f.exec(fmt::format("UPDATE {} SET n = 100 WHERE id IN (3, 4, 9)", f.name()));
    f.exec(fmt::format("DELETE FROM {} WHERE id = 6", f.name()));
    const std::string ids_file = f.path("ids.txt");
    std::ofstream(ids_file) << "9\n6\n";
    const auto run = f.kt("reindex " + f.name() + " --ids 3,4 --ids-file " + ids_file);
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_THAT(run.output, HasSubstr("4 id(s): 3 document(s) indexed, 1 deleted"));
    const auto docs = f.documents();
    EXPECT_EQ(docs.at("3"), (json{{"title", "t-3"}, {"n", 100}}));
    EXPECT_EQ(docs.at("9").at("n"), 100);
    EXPECT_EQ(docs.count("6"), 0U);
    EXPECT_EQ(f.kt("verify " + f.name()).exit_code, 0);
}

TEST(ReindexE2e, IdsTheQueryRejectsAreReportedNotDeleted) {
    ReindexFixture f;
    f.insert_rows(1, 5);
    ASSERT_EQ(f.kt("reindex " + f.name()).exit_code, 0);
    // A document whose id the bigint query cannot take: kt knows nothing of it, so it stays.
    httplib::Client client(test::es_url());
    const auto put = client.Put("/" + f.name() + "/_doc/abc?refresh=true",
                                json{{"title", "planted"}}.dump(), "application/json");
    ASSERT_TRUE(put);
    ASSERT_EQ(put->status, 201) << put->body;
    f.exec(fmt::format("UPDATE {} SET n = 100 WHERE id IN (2, 4)", f.name()));

    const auto run = f.kt("reindex " + f.name() + " --ids 2,abc,4");
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_THAT(run.output, HasSubstr("3 id(s): 2 document(s) indexed, 0 deleted"));
    EXPECT_THAT(run.output, HasSubstr("rejected: abc: id rejected by the query (SQLSTATE 22P02)"));
    const auto docs = f.documents();
    EXPECT_EQ(docs.at("2").at("n"), 100);
    EXPECT_EQ(docs.at("4").at("n"), 100);
    ASSERT_EQ(docs.count("abc"), 1U);
    EXPECT_EQ(docs.at("abc"), (json{{"title", "planted"}}));
}

/// Updates random rows and produces their ids until stopped; returns how many updates.
class Writer {
public:
    Writer(const std::string& table, int rows) : table_(table), rows_(rows) {
        thread_ = std::thread([this] { run(); });
    }
    ~Writer() { stop(); }
    std::size_t stop() {
        if (thread_.joinable()) {
            running_ = false;
            thread_.join();
        }
        return updates_;
    }

private:
    void run() {
        pqxx::connection db(test::postgres_url());
        kafka::Producer producer(test::broker_options());
        std::mt19937 random(42);
        std::uniform_int_distribution<int> pick(1, rows_);
        while (running_) {
            const int id = pick(random);
            {
                pqxx::nontransaction tx(db);
                tx.exec(fmt::format("UPDATE {} SET n = n + 1, title = 'w-{}' WHERE id = {}", table_,
                                    updates_, id));
                tx.commit();
            }
            const std::string key = std::to_string(id);
            producer.produce(table_, key, R"({"id":)" + key + "}");
            ++updates_;
            if (updates_ % 50 == 0) (void)producer.flush(10s);
            std::this_thread::sleep_for(2ms);
        }
        (void)producer.flush(30s);
    }

    std::string table_;
    int rows_;
    std::atomic<bool> running_{true};
    std::size_t updates_ = 0;
    std::thread thread_;
};

TEST(ReindexE2e, ConcurrentUpdatesAreNotLost) {
    ReindexFixture f;
    constexpr int kRows = 20000;
    f.insert_rows(1, kRows);
    ASSERT_EQ(f.kt("reindex " + f.name()).exit_code, 0);
    const auto before = f.alias_indices();
    auto indexer = f.start_indexer();
    std::size_t updates = 0;
    test::CommandResult run;
    {
        Writer writer(f.name(), kRows);
        run = f.kt("reindex " + f.name() + " --parallel 2 --batch-size 200");
        updates = writer.stop();
    }
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_GT(updates, 20U);
    // Updates made during the load were taken from the topic again.
    EXPECT_THAT(run.output, ::testing::ContainsRegex("[1-9][0-9]* id\\(s\\) caught up"));
    const auto after = f.alias_indices();
    ASSERT_EQ(after.size(), 1U);
    EXPECT_NE(after, before);
    EXPECT_EQ(f.physical_indices(), after);
    test::CommandResult verify;
    EXPECT_TRUE(test::wait_until(
        [&] {
            verify = f.kt("verify " + f.name());
            return verify.exit_code == 0;
        },
        60s, 1s))
        << verify.output << "\n"
        << run.output << "\n"
        << indexer->log();
}

TEST(ReindexE2e, InterruptedReindexLeavesTheOldIndexServing) {
    test::PrivateStandin standin;
    ReindexFixture f(standin.url());
    f.insert_rows(1, 20000);
    ASSERT_EQ(f.kt("reindex " + f.name()).exit_code, 0);
    const auto before = f.alias_indices();
    ASSERT_EQ(before.size(), 1U);
    standin.set_faults(json{{"latency_ms", 100}});
    test::WorkerProcess reindex(test::WorkerProcessOptions{
        kKt,
        {"reindex", f.name(), "--config", f.config_path(), "--batch-size", "100"},
        {},
        f.path("reindex.log")});
    // Interrupt once the new index exists and is being loaded.
    ASSERT_TRUE(test::wait_until([&] { return f.physical_indices().size() == 2; }, 30s, 100ms))
        << reindex.log();
    ASSERT_TRUE(reindex.wait_for_log("rows", 30s)) << reindex.log();
    reindex.signal(SIGINT);
    const auto code = reindex.wait_exit(30s);
    ASSERT_TRUE(code.has_value()) << reindex.log();
    EXPECT_EQ(*code, 1) << reindex.log();
    EXPECT_THAT(reindex.log(), HasSubstr("interrupted"));
    standin.clear_faults();
    expect_unchanged(f, before, 20000);
}

TEST(ReindexE2e, FailedLoadLeavesTheOldIndexServing) {
    ReindexFixture f;
    f.insert_rows(1, 1000);
    ASSERT_EQ(f.kt("reindex " + f.name()).exit_code, 0);
    const auto before = f.alias_indices();
    ASSERT_EQ(before.size(), 1U);
    // Elasticsearch refuses every document for good: `n` is not in the strict mappings.
    f.use_mappings(json{
        {"mappings", {{"dynamic", "strict"}, {"properties", {{"title", {{"type", "text"}}}}}}}});
    const auto run = f.kt("reindex " + f.name());
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_THAT(run.output, HasSubstr("strict_dynamic_mapping_exception"));
    expect_unchanged(f, before, 1000);
}

TEST(ReindexE2e, FailedIndexCreationLeavesNoOrphan) {
    CreateFailsProxy proxy(test::es_url());
    ReindexFixture f(proxy.url());
    f.insert_rows(1, 100);
    ASSERT_EQ(f.kt("reindex " + f.name()).exit_code, 0);
    const auto before = f.alias_indices();
    ASSERT_EQ(before.size(), 1U);
    // The index is created, but kt is told the creation failed.
    proxy.fail_next_create(f.name());
    const auto run = f.kt("reindex " + f.name());
    EXPECT_EQ(proxy.failed(), 1);
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_THAT(run.output, HasSubstr("504"));
    expect_unchanged(f, before, 100);
}

TEST(ReindexE2e, ParallelFourEqualsParallelOne) {
    for (const bool shorthand : {true, false}) {
        for (const bool text_key : {false, true}) {
            SCOPED_TRACE(fmt::format("shorthand {} text key {}", shorthand, text_key));
            ReindexFixture f(test::es_url(), shorthand, text_key);
            f.insert_rows(1, 5000);
            f.exec(fmt::format("DELETE FROM {} WHERE id::text LIKE '%7'", f.name()));
            auto run = f.kt("reindex " + f.name() + " --parallel 1");
            ASSERT_EQ(run.exit_code, 0) << run.output;
            EXPECT_THAT(run.output, HasSubstr(": 4500 rows into "));
            const auto one = f.documents();
            run = f.kt("reindex " + f.name() + " --parallel 4");
            ASSERT_EQ(run.exit_code, 0) << run.output;
            // Rows read by the four slices together: overlapping slices would count some twice.
            EXPECT_THAT(run.output, HasSubstr(": 4500 rows into "));
            const auto four = f.documents();
            EXPECT_EQ(one.size(), 4500U);
            EXPECT_TRUE(one == four);
            EXPECT_EQ(f.kt("verify " + f.name()).exit_code, 0);
        }
    }
}

}  // namespace
}  // namespace kt::workers
