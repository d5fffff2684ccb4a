// Secrets never reach logs, metrics, readiness answers or `kt check` output: every process runs
// with distinctive secrets in its config and environment, against services that refuse or do
// not answer, and everything it wrote or served is searched for them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "tests/support/dev_stack.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/security_stack.hpp"
#include "tests/support/test_env.hpp"
#include "tests/support/worker_process.hpp"

namespace kt::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr const char* kEsUser = "kt_writer";
constexpr const char* kEsPassword = "EsPass-SECRET-91d2";      // from the environment
constexpr const char* kEsUrlPassword = "UrlPass-SECRET-3a7f";  // in the URL's userinfo
constexpr const char* kApiKey = "ApiKey-SECRET-5e0c";          // elasticsearch.api_key
constexpr const char* kPgPassword = "PgPass-SECRET-c4b8";      // in the PostgreSQL URL
constexpr const char* kSaslPassword = "SaslPass-SECRET-77e1";  // kafka.properties
constexpr const char* kEnvVar = "KT_SEC_ES_PASSWORD";

/// Every form a secret could leak in: as written, and basic auth's base64 of user:password.
std::vector<std::string> secret_forms() {
    return {kEsPassword, kEsUrlPassword, kApiKey, kPgPassword, kSaslPassword,
            "SECRET",  // any of them, even cut short
            // base64 of "kt_writer:EsPass-SECRET-91d2", what an Authorization header would hold
            "a3Rfd3JpdGVyOkVzUGFzcy1TRUNSRVQtOTFkMg"};
}

::testing::AssertionResult free_of_secrets(const std::string& what, const std::string& text) {
    for (const auto& secret : secret_forms()) {
        const auto at = text.find(secret);
        if (at != std::string::npos) {
            return ::testing::AssertionFailure()
                   << what << " shows a secret (" << secret
                   << ") at: " << text.substr(at < 200 ? 0 : at - 200, 400);
        }
    }
    return ::testing::AssertionSuccess();
}

/// Sections of one config: each case replaces some.
struct Sections {
    std::map<std::string, std::string> kafka_properties;  ///< besides the quick group ones
    std::string postgres_url;
    std::string elasticsearch;  ///< lines under elasticsearch:
};

class Redaction : public ::testing::Test {
protected:
    Redaction() {
        fixture_.create_tables(fmt::format("CREATE TABLE {0} (id bigint PRIMARY KEY, title text);"
                                           "INSERT INTO {0} VALUES (1, 'one')",
                                           name_),
                               {name_});
        for (const auto& topic : {name_, name_ + "_delay", name_ + "_parents"}) {
            fixture_.create_topic_with_dead_letters(topic, 1);
        }
    }

    /// A stand-in that wants kEsUser:kEsPassword.
    std::unique_ptr<PrivateStandin> guarded_standin() {
        return std::make_unique<PrivateStandin>(
            std::vector<std::string>{"--basic-auth", std::string(kEsUser) + ":" + kEsPassword});
    }

    std::string write_config(const Sections& s, const std::string& file) {
        auto config = fixture_.config();
        config.properties = quick_group_properties(s.kafka_properties);
        config.postgres_url = s.postgres_url;
        config.elasticsearch = s.elasticsearch;
        config.sections = fmt::format(R"(indexes:
  {0}:
    table: {0}
    batch_wait: 100ms
delayers:
  {0}_delay: {{ delay: 1m, target: {0} }}
cascades:
  {0}_cascade:
    topic: {0}_parents
    target: {0}
    query: SELECT id FROM {0} WHERE id = ANY($1::bigint[])
)",
                                      name_);
        return fixture_.write_file(file, config.yaml());
    }

    /// `kt check` with the secret environment; its whole output.
    CommandResult kt_check(const std::string& config) {
        return run_command(fmt::format("{}={} {} check --config '{}'", kEnvVar, kEsPassword,
                                       binary("kt"), config));
    }

    /// Runs `program` with `config` at debug level until /readyz answers 503 naming every one of
    /// `reasons`; then checks its log, /metrics, /readyz and /healthz for secrets.
    void expect_worker_redacts(const std::string& program, const std::string& config,
                               const std::vector<std::string>& reasons) {
        WorkerProcess worker({binary(program),
                              {"--config", config, "--metrics-port", "0", "--log-level", "debug"},
                              {{kEnvVar, kEsPassword}},
                              {}});
        const auto port = wait_status_port(worker, 30s);
        ASSERT_TRUE(port) << worker.log();
        std::pair<int, std::string> ready;
        const bool named = wait_until(
            [&] {
                ready = http_get(*port, "/readyz");
                if (ready.first != 503) return false;
                for (const auto& r : reasons) {
                    if (ready.second.find(r) == std::string::npos) return false;
                }
                return true;
            },
            60s, 200ms);
        EXPECT_TRUE(named) << program << " /readyz: " << ready.first << " " << ready.second;
        const auto metrics = http_get(*port, "/metrics");
        EXPECT_EQ(metrics.first, 200);
        const auto health = http_get(*port, "/healthz");
        EXPECT_TRUE(free_of_secrets(program + " /readyz", ready.second));
        EXPECT_TRUE(free_of_secrets(program + " /metrics", metrics.second));
        EXPECT_TRUE(free_of_secrets(program + " /healthz", health.second));
        worker.terminate();
        EXPECT_TRUE(worker.wait_exit(20s).has_value());
        EXPECT_TRUE(free_of_secrets(program + " log", worker.log()));
        EXPECT_GT(worker.log().size(), 0U);
    }

    Fixture fixture_{"sec_red"};
    const std::string name_ = fixture_.name();
};

std::map<std::string, std::string> sasl_properties() {
    return {{"security.protocol", "SASL_PLAINTEXT"},
            {"sasl.mechanisms", "PLAIN"},
            {"sasl.username", "kt"},
            {"sasl.password", kSaslPassword}};
}

std::string unreachable_postgres() {
    return fmt::format("postgresql://kt:{}@127.0.0.1:1/kt?connect_timeout=3", kPgPassword);
}

/// postgres_url() with kPgPassword added (the test server trusts local connections, so any
/// password works).
std::string postgres_with_password() {
    std::string url = postgres_url();
    const auto at = url.find('@');
    return url.substr(0, at) + ":" + kPgPassword + url.substr(at);
}

TEST_F(Redaction, KtCheckWithEveryConnectionFailingPrintsNoSecret) {
    const auto es = guarded_standin();
    const Sections s{
        sasl_properties(), unreachable_postgres(),
        fmt::format("  url: {}\n  username: {}\n  password: \"{}-wrong\"\n  timeout: 5s", es->url(),
                    kEsUser, kEsPassword)};
    const auto run = kt_check(write_config(s, "failing.yaml"));
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_THAT(run.output, HasSubstr("HTTP 401 security_exception"));
    // PostgreSQL cannot be reached: said once, and the index and cascade queries are skipped.
    EXPECT_THAT(run.output, HasSubstr("postgres: could not connect to PostgreSQL at "));
    EXPECT_THAT(run.output, HasSubstr("postgres: 2 check(s) skipped: PostgreSQL unreachable"));
    EXPECT_THAT(run.output, HasSubstr("127.0.0.1:1"));
    EXPECT_TRUE(free_of_secrets("kt check", run.output));
}

TEST_F(Redaction, KtCheckWithPasswordsInUrlsPrintsNoSecret) {
    // Elasticsearch unreachable, credentials in its URL; PostgreSQL reachable with a password.
    const Sections s{
        {}, postgres_with_password(),
        fmt::format("  url: http://{}:{}@127.0.0.1:1\n  timeout: 3s", kEsUser, kEsUrlPassword)};
    const auto run = kt_check(write_config(s, "urls.yaml"));
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_THAT(run.output, HasSubstr("elasticsearch http://kt_writer:***@127.0.0.1:1"));
    EXPECT_THAT(run.output, HasSubstr("postgres: indexes." + name_ + ": ok"));
    EXPECT_TRUE(free_of_secrets("kt check", run.output));

    // The same URL credentials refused by a stand-in that wants others.
    const auto es = guarded_standin();
    const std::string with_userinfo =
        es->url().substr(0, 7) + kEsUser + ":" + kEsUrlPassword + "@" + es->url().substr(7);
    const auto refused = kt_check(write_config(
        Sections{{}, postgres_with_password(), "  url: " + with_userinfo}, "url_refused.yaml"));
    EXPECT_EQ(refused.exit_code, 1) << refused.output;
    EXPECT_THAT(refused.output, HasSubstr("HTTP 401 security_exception"));
    EXPECT_TRUE(free_of_secrets("kt check", refused.output));
}

TEST_F(Redaction, KtCheckWithAWrongApiKeyPrintsNoSecret) {
    const auto es =
        std::make_unique<PrivateStandin>(std::vector<std::string>{"--api-key", "the-right-key"});
    const auto run =
        kt_check(write_config(Sections{{}, postgres_with_password(),
                                       fmt::format("  url: {}\n  api_key: {}", es->url(), kApiKey)},
                              "api_key.yaml"));
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_THAT(run.output, HasSubstr("HTTP 401 security_exception"));
    EXPECT_TRUE(free_of_secrets("kt check", run.output));
}

TEST_F(Redaction, KtCheckOfABadConfigPrintsNoSecret) {
    // A config error next to secrets: the loader names keys, never values of secret keys.
    const auto path = write_config(
        Sections{sasl_properties(), postgres_with_password(),
                 fmt::format("  url: http://127.0.0.1:1\n  username: {}\n  password: \"{}\"\n"
                             "  api_key: {}\n  timeout: soon",
                             kEsUser, kEsPassword, kApiKey)},
        "bad.yaml");
    const auto run = kt_check(path);
    EXPECT_EQ(run.exit_code, 2) << run.output;
    EXPECT_THAT(run.output, HasSubstr("elasticsearch.timeout"));
    EXPECT_THAT(run.output, HasSubstr("elasticsearch.api_key"));
    EXPECT_TRUE(free_of_secrets("kt check", run.output));
}

TEST_F(Redaction, WorkersWithFailingConnectionsShowNoSecret) {
    const auto es = guarded_standin();
    // Kafka wants SASL the development broker does not speak, PostgreSQL is unreachable, and
    // Elasticsearch accepts the password from the environment.
    const Sections failing{sasl_properties(), unreachable_postgres(),
                           fmt::format("  url: {}\n  username: {}\n  password: \"${{{}}}\"",
                                       es->url(), kEsUser, kEnvVar)};
    const auto config = write_config(failing, "workers.yaml");
    expect_worker_redacts("kt-indexer", config, {"kafka", "postgres"});
    expect_worker_redacts("kt-cascader", config, {"kafka", "postgres"});
    expect_worker_redacts("kt-delayer", config, {"kafka"});
}

TEST_F(Redaction, IndexerWorkingWithSecretsShowsNone) {
    const auto es = guarded_standin();
    const Sections working{{}, postgres_with_password(),
                           fmt::format("  url: {}\n  username: {}\n  password: \"${{{}}}\"",
                                       es->url(), kEsUser, kEnvVar)};
    const auto config = write_config(working, "working.yaml");
    WorkerProcess indexer({binary("kt-indexer"),
                           {"--config", config, "--metrics-port", "0", "--log-level", "debug"},
                           {{kEnvVar, kEsPassword}},
                           {}});
    const auto port = wait_status_port(indexer, 30s);
    ASSERT_TRUE(port) << indexer.log();
    const auto produced =
        run_command(fmt::format("{}={} {} produce --config '{}' {} 1", kEnvVar, kEsPassword,
                                binary("kt"), config, name_));
    ASSERT_EQ(produced.exit_code, 0) << produced.output;
    EXPECT_TRUE(free_of_secrets("kt produce", produced.output));
    ASSERT_TRUE(indexer.wait_for_log("batch of", 60s)) << indexer.log();
    EXPECT_TRUE(readyz_answers(*port, 200, 30s));
    EXPECT_TRUE(free_of_secrets("kt-indexer /metrics", http_get(*port, "/metrics").second));
    indexer.terminate();
    EXPECT_EQ(indexer.wait_exit(15s), 0) << indexer.log();
    EXPECT_TRUE(free_of_secrets("kt-indexer log", indexer.log()));
}

}  // namespace
}  // namespace kt::test
