// Elasticsearch over HTTPS with a CA file, basic auth and API keys: `kt check` and kt-indexer
// against a private stand-in that serves TLS and requires credentials.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <chrono>
#include <memory>
#include <string>

#include "tests/support/dev_stack.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/security_stack.hpp"
#include "tests/support/test_env.hpp"
#include "tests/support/worker_process.hpp"

namespace kt::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kUser = "kt_writer";
constexpr const char* kPassword = "Pw-4c1e9d2b";
constexpr const char* kApiKey = "QXBpS2V5LTc3ZjA6c2VjcmV0LTE5YjI=";
constexpr int kRows = 20;

/// Where and how a test reads the index itself: base URL, CA file and curl's auth arguments.
struct EsReader {
    std::string url;
    std::string ca_file;
    std::string auth;
};

/// One index under test: a table of kRows rows (`table:` shorthand), its topic and a config
/// folder, all with unique names; the table and the folder go away with it.
class SecureIndex : public Fixture {
public:
    SecureIndex() : Fixture("sec_es") {
        create_tables(fmt::format("CREATE TABLE {0} (id bigint PRIMARY KEY, title text NOT NULL);"
                                  "INSERT INTO {0} SELECT i, 'row ' || i "
                                  "FROM generate_series(1, {1}) i",
                                  name(), kRows),
                      {name()});
        create_topic_with_dead_letters(name(), 2);
    }

    [[nodiscard]] const TestCertificates& certs() const { return certs_; }

    /// Starts a stand-in serving HTTPS with the test server certificate plus `auth_args`.
    [[nodiscard]] std::unique_ptr<PrivateStandin> https_standin(std::vector<std::string> auth_args,
                                                                int port = 0) const {
        std::vector<std::string> args = {"--tls-cert", certs_.server_cert(), "--tls-key",
                                         certs_.server_key()};
        args.insert(args.end(), auth_args.begin(), auth_args.end());
        return std::make_unique<PrivateStandin>(args, port);
    }

    /// Writes the config with `es_section` (the lines under `elasticsearch:`); returns its path.
    std::string write_config(const std::string& es_section, const std::string& file = "kt.yaml") {
        auto config = this->config();
        config.elasticsearch = es_section;
        config.sections =
            fmt::format("indexes:\n  {0}:\n    table: {0}\n    batch_wait: 100ms\n", name());
        return write_file(file, config.yaml());
    }

    void produce_all() {
        std::vector<std::string> ids;
        for (int i = 1; i <= kRows; ++i) ids.push_back(std::to_string(i));
        const auto run = run_command(fmt::format(
            "{} produce --config '{}' {} {}", binary("kt"),
            write_config("  url: http://x", "produce.yaml"), name(), fmt::join(ids, " ")));
        ASSERT_EQ(run.exit_code, 0) << run.output;
    }

    /// How many of the kRows documents are in the alias, read with the curl command over
    /// `reader` (independent of kt's client); -1 when the request fails.
    int found_documents(const EsReader& reader) {
        json ids = json::array();
        for (int i = 1; i <= kRows; ++i) ids.push_back(std::to_string(i));
        const auto docs =
            es_mget(reader.url, "--cacert '" + reader.ca_file + "' " + reader.auth, name(), ids);
        if (!docs) return -1;
        int found = 0;
        for (const auto& doc : *docs) {
            if (doc.value("found", false)) ++found;
        }
        return found;
    }

private:
    TestCertificates certs_;
};

CommandResult kt_check(const std::string& config) {
    return run_command(binary("kt") + " check --config '" + config + "'");
}

std::string basic_section(const std::string& url, const std::string& ca_file,
                          const std::string& password = kPassword) {
    return fmt::format(
        "  url: {}\n  ca_file: {}\n  username: {}\n  password: \"{}\"\n  timeout: 10s", url,
        ca_file, kUser, password);
}

std::string api_key_section(const std::string& url, const std::string& ca_file,
                            const std::string& key = kApiKey) {
    return fmt::format("  url: {}\n  ca_file: {}\n  api_key: \"{}\"\n  timeout: 10s", url, ca_file,
                       key);
}

std::string basic_arg() {
    return std::string(kUser) + ":" + kPassword;
}

TEST(EsSecurity, KtCheckPassesOverHttpsWithTheCaFileAndBasicAuth) {
    SecureIndex ix;
    const auto es = ix.https_standin({"--basic-auth", basic_arg()});
    ASSERT_THAT(es->url(), ::testing::StartsWith("https://"));
    const auto run = kt_check(ix.write_config(basic_section(es->url(), ix.certs().ca_file())));
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_THAT(run.output, HasSubstr("elasticsearch " + es->url() + ": ok (Elasticsearch 8.15.0)"));
    EXPECT_THAT(run.output, Not(HasSubstr(kPassword)));
}

TEST(EsSecurity, KtCheckPassesOverHttpsWithAnApiKey) {
    SecureIndex ix;
    const auto es = ix.https_standin({"--api-key", kApiKey});
    const auto run = kt_check(ix.write_config(api_key_section(es->url(), ix.certs().ca_file())));
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_THAT(run.output, HasSubstr("elasticsearch " + es->url() + ": ok (Elasticsearch 8.15.0)"));
    EXPECT_THAT(run.output, Not(HasSubstr(kApiKey)));
}

TEST(EsSecurity, AnotherCaFailsWithTheCertificateProblem) {
    SecureIndex ix;
    const auto es = ix.https_standin({"--basic-auth", basic_arg()});
    const auto run =
        kt_check(ix.write_config(basic_section(es->url(), ix.certs().other_ca_file())));
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_THAT(run.output, HasSubstr("elasticsearch " + es->url() + ": elasticsearch GET " +
                                      es->url() + "/: SSL certificate problem"));
    EXPECT_THAT(run.output, Not(HasSubstr(kPassword)));
    // The system's CAs do not know the test CA either.
    const auto no_ca = kt_check(
        ix.write_config(fmt::format("  url: {}\n  username: {}\n  password: \"{}\"\n  timeout: 10s",
                                    es->url(), kUser, kPassword)));
    EXPECT_EQ(no_ca.exit_code, 1) << no_ca.output;
    EXPECT_THAT(no_ca.output, HasSubstr("SSL certificate problem"));
}

TEST(EsSecurity, HttpToAnHttpsPortFailsClearly) {
    SecureIndex ix;
    const auto es = ix.https_standin({});
    const std::string http_url = "http://127.0.0.1:" + std::to_string(es->port());
    const auto run = kt_check(ix.write_config("  url: " + http_url + "\n  timeout: 5s"));
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_THAT(run.output, HasSubstr("elasticsearch " + http_url + ": elasticsearch GET"));
}

TEST(EsSecurity, WrongPasswordIsAClear401) {
    SecureIndex ix;
    const auto es = ix.https_standin({"--basic-auth", basic_arg()});
    const std::string wrong = "Wrong-8e1f3a";
    const auto run =
        kt_check(ix.write_config(basic_section(es->url(), ix.certs().ca_file(), wrong)));
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_THAT(run.output, HasSubstr("elasticsearch GET /: HTTP 401 security_exception: unable to "
                                      "authenticate user [kt_writer] for REST request [/]"));
    EXPECT_THAT(run.output, Not(HasSubstr(wrong)));
    EXPECT_THAT(run.output, Not(HasSubstr(kPassword)));
}

TEST(EsSecurity, WrongApiKeyAndMissingCredentialsAreClear401s) {
    SecureIndex ix;
    const auto es = ix.https_standin({"--api-key", kApiKey});
    const std::string wrong = "V3JvbmdLZXktMmQ5Yg==";
    const auto run =
        kt_check(ix.write_config(api_key_section(es->url(), ix.certs().ca_file(), wrong)));
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_THAT(run.output, HasSubstr("HTTP 401 security_exception: unable to authenticate with "
                                      "provided credentials"));
    EXPECT_THAT(run.output, Not(HasSubstr(wrong)));

    const auto none = kt_check(
        ix.write_config(fmt::format("  url: {}\n  ca_file: {}", es->url(), ix.certs().ca_file())));
    EXPECT_EQ(none.exit_code, 1) << none.output;
    EXPECT_THAT(none.output, HasSubstr("HTTP 401 security_exception: missing authentication "
                                       "credentials for REST request [/]"));
}

/// Runs kt-indexer with `config` until every row is in the index that `client` reads.
void expect_indexer_writes_everything(SecureIndex& ix, const std::string& config,
                                      const EsReader& client) {
    WorkerProcess indexer(
        {binary("kt-indexer"), {"--config", config, "--metrics-port", "0"}, {}, {}});
    ix.produce_all();
    const bool all = wait_until([&] { return ix.found_documents(client) == kRows; }, 60s, 200ms);
    EXPECT_TRUE(all) << "found " << ix.found_documents(client) << " of " << kRows << "\n"
                     << indexer.log();
    indexer.terminate();
    EXPECT_EQ(indexer.wait_exit(15s), 0) << indexer.log();
    EXPECT_THAT(indexer.log(), Not(HasSubstr(kPassword)));
    EXPECT_THAT(indexer.log(), Not(HasSubstr(kApiKey)));
}

TEST(EsSecurity, IndexerWritesOverHttpsWithBasicAuth) {
    SecureIndex ix;
    const auto es = ix.https_standin({"--basic-auth", basic_arg()});
    const EsReader client{es->url(), ix.certs().ca_file(), std::string("-u ") + basic_arg()};
    expect_indexer_writes_everything(
        ix, ix.write_config(basic_section(es->url(), ix.certs().ca_file())), client);
}

TEST(EsSecurity, IndexerWritesOverHttpsWithAnApiKey) {
    SecureIndex ix;
    const auto es = ix.https_standin({"--api-key", kApiKey});
    const EsReader client{es->url(), ix.certs().ca_file(),
                          std::string("-H 'Authorization: ApiKey ") + kApiKey + "'"};
    expect_indexer_writes_everything(
        ix, ix.write_config(api_key_section(es->url(), ix.certs().ca_file())), client);
}

TEST(EsSecurity, IndexerWithWrongCredentialsDoesNotStartAndSaysWhy) {
    SecureIndex ix;
    const auto es = ix.https_standin({"--basic-auth", basic_arg()});
    const std::string wrong = "Wrong-5b7c0e";
    WorkerProcess indexer(
        {binary("kt-indexer"),
         {"--config", ix.write_config(basic_section(es->url(), ix.certs().ca_file(), wrong))},
         {},
         {}});
    EXPECT_EQ(indexer.wait_exit(30s), 1) << indexer.log();
    EXPECT_THAT(indexer.log(), HasSubstr("cannot start: elasticsearch HEAD /_alias/" + ix.name() +
                                         ": HTTP 401 (no body): credentials missing or refused"));
    EXPECT_THAT(indexer.log(), Not(HasSubstr(wrong)));
}

TEST(EsSecurity, CredentialsRevokedMidRunMakeTheIndexerNotReadyAndLoseNothing) {
    SecureIndex ix;
    auto es = ix.https_standin({"--basic-auth", basic_arg()});
    const int port = es->port();
    const std::string config = ix.write_config(basic_section(es->url(), ix.certs().ca_file()));
    WorkerProcess indexer(
        {binary("kt-indexer"), {"--config", config, "--metrics-port", "0"}, {}, {}});
    const auto status_port = wait_status_port(indexer, 30s);
    ASSERT_TRUE(status_port) << indexer.log();
    ix.produce_all();
    {
        const EsReader client{es->url(), ix.certs().ca_file(), "-u " + basic_arg()};
        ASSERT_TRUE(wait_until([&] { return ix.found_documents(client) == kRows; }, 60s, 200ms))
            << indexer.log();
    }

    // The same address now wants another password: kt's is no longer valid.
    es->stop();
    es = ix.https_standin({"--basic-auth", std::string(kUser) + ":Rotated-0a9e"}, port);
    ix.produce_all();
    std::pair<int, std::string> ready;
    EXPECT_TRUE(wait_until(
        [&] {
            ready = http_get(*status_port, "/readyz");
            return ready.first == 503 && ready.second.find("HTTP 401") != std::string::npos;
        },
        60s, 100ms))
        << ready.first << " " << ready.second << "\n"
        << indexer.log();
    EXPECT_THAT(ready.second, HasSubstr("security_exception: unable to authenticate user"));
    EXPECT_THAT(ready.second, Not(HasSubstr(kPassword)));
    EXPECT_TRUE(indexer.wait_for_log("HTTP 401 security_exception", 30s)) << indexer.log();
    EXPECT_EQ(ix.found_documents(EsReader{es->url(), ix.certs().ca_file(), "-u " + basic_arg()}),
              -1);  // the test's own reader is refused too

    // Credentials valid again (a fresh, empty stand-in): the batch that failed is written, so
    // nothing was committed while it failed.
    es->stop();
    es = ix.https_standin({"--basic-auth", basic_arg()}, port);
    const EsReader client{es->url(), ix.certs().ca_file(), "-u " + basic_arg()};
    EXPECT_TRUE(wait_until([&] { return ix.found_documents(client) == kRows; }, 90s, 200ms))
        << indexer.log();
    EXPECT_TRUE(readyz_answers(*status_port, 200, 30s));
    indexer.terminate();
    EXPECT_EQ(indexer.wait_exit(15s), 0) << indexer.log();
    EXPECT_THAT(indexer.log(), Not(HasSubstr(kPassword)));
}

}  // namespace
}  // namespace kt::test
