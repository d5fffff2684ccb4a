// Kafka over TLS and SASL/PLAIN through `kafka.properties`: `kt check`, `kt produce` and
// kt-indexer against a private kt-devbroker whose secure front terminates TLS and requires
// SASL/PLAIN in front of the mock brokers (which speak neither).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lib/non_copyable.hpp"
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

constexpr const char* kUser = "kt_app";
constexpr const char* kPassword = "Sasl-6d0b2e";
constexpr int kRows = 10;

/// A private kt-devbroker with a secure front; stopped with the object.
class SecureBroker : private NonCopyable {
public:
    explicit SecureBroker(const std::vector<std::string>& args)
        : ready_file_((std::filesystem::temp_directory_path() / (unique_name("broker") + ".ready"))
                          .string()) {
        std::vector<std::string> all = {"--control-port", "0", "--ready-file", ready_file_};
        all.insert(all.end(), args.begin(), args.end());
        process_ = std::make_unique<WorkerProcess>(
            WorkerProcessOptions{KT_BINARY_DIR "/tools/devbroker/kt-devbroker", all, {}, {}});
        const auto values =
            wait_ready_file(ready_file_, *process_, {"control", "secure_bootstrap"}, 20s,
                            "kt-devbroker");
        control_ = values.at("control");
        bootstrap_ = values.at("secure_bootstrap");
    }
    ~SecureBroker() {
        std::error_code ignored;
        std::filesystem::remove(ready_file_, ignored);
    }

    [[nodiscard]] const std::string& bootstrap() const { return bootstrap_; }
    void create_topic(const std::string& topic, int partitions) {
        test::create_topic(control_, topic, partitions);
    }
    [[nodiscard]] std::string log() const { return process_->log(); }

private:
    std::string ready_file_;
    std::unique_ptr<WorkerProcess> process_;
    std::string control_;
    std::string bootstrap_;
};

class KafkaSecurityOnDevbroker : public ::testing::Test {
protected:
    KafkaSecurityOnDevbroker() {
        fixture_.create_tables(
            fmt::format("CREATE TABLE {0} (id bigint PRIMARY KEY, title text);"
                        "INSERT INTO {0} SELECT i, 'row ' || i FROM generate_series(1, {1}) i",
                        name_, kRows),
            {name_});
    }

    std::unique_ptr<SecureBroker> broker(const std::vector<std::string>& args) {
        auto b = std::make_unique<SecureBroker>(args);
        b->create_topic(name_, 2);
        b->create_topic(name_ + ".dlq", 1);
        return b;
    }
    std::vector<std::string> tls_args() const {
        return {"--tls-cert", certs_.server_cert(), "--tls-key", certs_.server_key()};
    }
    static std::vector<std::string> sasl_args() {
        return {"--sasl-plain", std::string(kUser) + ":" + kPassword};
    }

    /// Writes a config for `bootstrap` with `properties` (kafka.properties besides the quick
    /// group ones) as `file`; returns its path.
    std::string write_config(const std::string& bootstrap,
                             const std::map<std::string, std::string>& properties,
                             const std::string& file) {
        auto config = fixture_.config();
        config.brokers = bootstrap;
        config.properties = quick_group_properties(properties);
        config.sections =
            fmt::format("indexes:\n  {0}:\n    table: {0}\n    batch_wait: 100ms\n", name_);
        return fixture_.write_file(file, config.yaml());
    }

    std::map<std::string, std::string> sasl_ssl(const std::string& password = kPassword,
                                                const std::string& ca_file = {}) const {
        return {{"security.protocol", "SASL_SSL"},
                {"sasl.mechanisms", "PLAIN"},
                {"sasl.username", kUser},
                {"sasl.password", password},
                {"ssl.ca.location", ca_file.empty() ? certs_.ca_file() : ca_file}};
    }

    static CommandResult run_kt(const std::string& args) {
        return run_command(binary("kt") + " " + args);
    }

    TestCertificates certs_;
    Fixture fixture_{"sec_kafka"};
    const std::string name_ = fixture_.name();
};

TEST_F(KafkaSecurityOnDevbroker, KtCheckConnectsWithSaslSsl) {
    const auto b = broker([&] {
        auto args = tls_args();
        for (const auto& a : sasl_args()) args.push_back(a);
        return args;
    }());
    const auto run =
        run_kt("check --config '" + write_config(b->bootstrap(), sasl_ssl(), "ok.yaml") + "'");
    EXPECT_EQ(run.exit_code, 0) << run.output << b->log();
    EXPECT_THAT(run.output, HasSubstr("kafka " + b->bootstrap() + ": ok ("));
    EXPECT_THAT(run.output, Not(HasSubstr(kPassword)));
}

TEST_F(KafkaSecurityOnDevbroker, KtCheckConnectsWithTlsAloneAndSaslAlone) {
    const auto tls = broker(tls_args());
    const auto tls_run =
        run_kt("check --config '" +
               write_config(tls->bootstrap(),
                            {{"security.protocol", "SSL"}, {"ssl.ca.location", certs_.ca_file()}},
                            "ssl.yaml") +
               "'");
    EXPECT_EQ(tls_run.exit_code, 0) << tls_run.output << tls->log();

    const auto sasl = broker(sasl_args());
    const auto sasl_run = run_kt(
        "check --config '" +
        write_config(sasl->bootstrap(),
                     {{"security.protocol", "SASL_PLAINTEXT"},
                      {"sasl.mechanisms", "PLAIN"},
                      {"sasl.username", kUser},
                      {"sasl.password", kPassword}},
                     "sasl.yaml") +
        "'");
    EXPECT_EQ(sasl_run.exit_code, 0) << sasl_run.output << sasl->log();
}

TEST_F(KafkaSecurityOnDevbroker, WrongPasswordAndWrongCaFailClearly) {
    const auto b = broker([&] {
        auto args = tls_args();
        for (const auto& a : sasl_args()) args.push_back(a);
        return args;
    }());
    const std::string wrong = "Wrong-0c4d7a";
    const auto bad_password =
        run_kt("check --config '" + write_config(b->bootstrap(), sasl_ssl(wrong), "pw.yaml") + "'");
    EXPECT_EQ(bad_password.exit_code, 1) << bad_password.output;
    // kt check's own line for Kafka says why, not just "_TRANSPORT" (librdkafka's log lines
    // above it say so too, but a user reads the summary).
    const auto kafka_line = [&](const std::string& output) {
        const std::string prefix = "kafka " + b->bootstrap() + ": ";
        const auto at = output.find(prefix);
        return at == std::string::npos ? std::string()
                                       : output.substr(at, output.find('\n', at) - at);
    };
    EXPECT_THAT(kafka_line(bad_password.output), HasSubstr("Authentication failed"))
        << bad_password.output;
    EXPECT_THAT(bad_password.output, Not(HasSubstr(wrong)));

    const auto bad_ca = run_kt(
        "check --config '" +
        write_config(b->bootstrap(), sasl_ssl(kPassword, certs_.other_ca_file()), "ca.yaml") + "'");
    EXPECT_EQ(bad_ca.exit_code, 1) << bad_ca.output;
    EXPECT_THAT(kafka_line(bad_ca.output), HasSubstr("certificate verify failed")) << bad_ca.output;
    EXPECT_THAT(bad_ca.output, Not(HasSubstr(kPassword)));
}

TEST_F(KafkaSecurityOnDevbroker, ProduceAndIndexerWorkOverSaslSsl) {
    const auto b = broker([&] {
        auto args = tls_args();
        for (const auto& a : sasl_args()) args.push_back(a);
        return args;
    }());
    const std::string config = write_config(b->bootstrap(), sasl_ssl(), "e2e.yaml");
    WorkerProcess indexer(
        {binary("kt-indexer"), {"--config", config, "--metrics-port", "0"}, {}, {}});
    std::string ids;
    for (int i = 1; i <= kRows; ++i) ids += " " + std::to_string(i);
    const auto produced = run_kt("produce --config '" + config + "' " + name_ + ids);
    ASSERT_EQ(produced.exit_code, 0) << produced.output << b->log();

    int found = 0;
    EXPECT_TRUE(wait_until(
        [&] {
            json want = json::array();
            for (int i = 1; i <= kRows; ++i) want.push_back(std::to_string(i));
            const auto docs = es_mget(es_url(), "", name_, want);
            if (!docs) return false;
            found = 0;
            for (const auto& d : *docs) {
                if (d.value("found", false)) ++found;
            }
            return found == kRows;
        },
        60s, 200ms))
        << found << " of " << kRows << "\n"
        << indexer.log();
    indexer.terminate();
    EXPECT_EQ(indexer.wait_exit(15s), 0) << indexer.log();
    EXPECT_THAT(indexer.log(), Not(HasSubstr(kPassword)));
}

}  // namespace
}  // namespace kt::test
