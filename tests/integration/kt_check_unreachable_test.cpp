// `kt check` with a server it cannot connect to: the failure is said once, with its cause, and
// the checks that need that server are skipped in one line; never "lost" for a connection that
// was never made.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/run_command.hpp"
#include "tests/support/test_env.hpp"

namespace kt::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
namespace fs = std::filesystem;

struct Servers {
    std::string kafka = kafka_brokers();
    std::string postgres = postgres_url();
    std::string es = es_url();
};

/// A config with three indexes and two cascades, each of which needs PostgreSQL.
std::string write_config(const Servers& servers) {
    const std::string name = unique_name("check_down");
    const fs::path file = fs::temp_directory_path() / (name + ".yaml");
    std::ofstream(file) << "kafka:\n  brokers: " << servers.kafka
                        << "\npostgres:\n  url: " << servers.postgres
                        << "\nelasticsearch:\n  url: " << servers.es << "\nindexes:\n"
                        << "  " << name << "_a:\n    table: " << name << "_a\n"
                        << "  " << name << "_b:\n    table: " << name << "_b\n"
                        << "  " << name << "_c:\n    query: SELECT id, to_jsonb(t) AS doc FROM "
                        << name << "_a t WHERE id = ANY($1::bigint[])\n"
                        << "cascades:\n"
                        << "  " << name << "_x:\n    topic: " << name << "_x\n    target: " << name
                        << "_a\n    query: SELECT id FROM " << name
                        << "_a WHERE id = ANY($1::bigint[])\n"
                        << "  " << name << "_y:\n    topic: " << name << "_y\n    target: " << name
                        << "_b\n    query: SELECT id FROM " << name
                        << "_b WHERE id = ANY($1::bigint[])\n";
    return file.string();
}

CommandResult kt_check(const std::string& config) {
    return run_command(std::string(KT_BINARY_DIR) + "/cmd/kt check --config '" + config + "'");
}

std::vector<std::string> lines_with(const std::string& output, const std::string& needle) {
    std::vector<std::string> found;
    std::istringstream in(output);
    for (std::string line; std::getline(in, line);) {
        if (line.find(needle) != std::string::npos) found.push_back(line);
    }
    return found;
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

TEST(KtCheckUnreachable, PostgreSqlDownIsOneLineWithItsCauseAndTheQueriesAreSkipped) {
    Servers servers;
    const int port = closed_port();
    servers.postgres = "postgresql://kt:s3cret@127.0.0.1:" + std::to_string(port) + "/kt";
    const auto run = kt_check(write_config(servers));
    EXPECT_EQ(run.exit_code, 1) << run.output;

    // Exactly one line says why, naming PostgreSQL and the cause; the password stays hidden.
    const auto refused = lines_with(run.output, "Connection refused");
    ASSERT_EQ(refused.size(), 1U) << run.output;
    EXPECT_THAT(refused[0], StartsWith("postgres: could not connect to PostgreSQL at "
                                       "postgresql://kt:***@127.0.0.1:" +
                                       std::to_string(port) + "/kt: "))
        << run.output;
    EXPECT_EQ(lines_with(run.output, "@127.0.0.1:" + std::to_string(port)).size(), 1U)
        << run.output;
    EXPECT_THAT(run.output, Not(HasSubstr("s3cret")));

    // The five queries that need it are one line, not five repeats of the same failure.
    EXPECT_THAT(run.output, HasSubstr("postgres: 5 check(s) skipped: PostgreSQL unreachable\n"));
    EXPECT_TRUE(lines_with(run.output, "indexes.").empty()) << run.output;
    EXPECT_TRUE(lines_with(run.output, "cascades.").empty()) << run.output;
    EXPECT_THAT(lower(run.output), Not(HasSubstr("lost"))) << run.output;

    // The other servers are still checked.
    EXPECT_THAT(run.output, HasSubstr("kafka " + servers.kafka + ": ok"));
    EXPECT_THAT(run.output, HasSubstr("elasticsearch " + servers.es + ": ok"));
}

TEST(KtCheckUnreachable, SearchEngineDownIsOneLineWithItsCause) {
    Servers servers;
    const int port = closed_port();
    servers.es = "http://127.0.0.1:" + std::to_string(port);
    const auto run = kt_check(write_config(servers));
    EXPECT_EQ(run.exit_code, 1) << run.output;

    const auto mentions = lines_with(run.output, servers.es);
    ASSERT_EQ(mentions.size(), 1U) << run.output;
    EXPECT_THAT(mentions[0], StartsWith("elasticsearch " + servers.es + ": "));
    EXPECT_THAT(lower(mentions[0]), HasSubstr("connect")) << run.output;
    EXPECT_THAT(lower(run.output), Not(HasSubstr("lost"))) << run.output;
    // PostgreSQL does not depend on it: still checked.
    EXPECT_THAT(run.output, HasSubstr("postgres: ok (PostgreSQL "));
}

TEST(KtCheckUnreachable, KafkaDownIsOneReportLineWithItsCause) {
    Servers servers;
    const int port = closed_port();
    servers.kafka = "127.0.0.1:" + std::to_string(port);
    const auto run = kt_check(write_config(servers));
    EXPECT_EQ(run.exit_code, 1) << run.output;

    const auto reports = lines_with(run.output, "kafka " + servers.kafka + ":");
    ASSERT_EQ(reports.size(), 1U) << run.output;
    EXPECT_THAT(reports[0], StartsWith("kafka " + servers.kafka + ": "));
    EXPECT_THAT(reports[0], HasSubstr("Connection refused")) << run.output;
    EXPECT_EQ(lines_with(run.output, "Connection refused").size(), 1U)
        << "librdkafka's own line repeats the report\n"
        << run.output;
    EXPECT_THAT(lower(run.output), Not(HasSubstr("lost"))) << run.output;
    EXPECT_THAT(run.output, HasSubstr("postgres: ok (PostgreSQL "));
}

}  // namespace
}  // namespace kt::test
