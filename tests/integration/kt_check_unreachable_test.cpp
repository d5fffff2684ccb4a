// `kt check` with a server it cannot connect to: the failure is said once, with its cause, and
// the checks that need that server are skipped in one line; never "lost" for a connection that
// was never made.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/fixture.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/test_env.hpp"

namespace kt::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct Servers {
    std::string kafka = kafka_brokers();
    std::string postgres = postgres_url();
    std::string es = es_url();
};

/// `kt check` of a config on `servers` with three indexes and two cascades, each of which
/// needs PostgreSQL.
CommandResult kt_check(const Servers& servers) {
    Fixture fixture("check_down");
    KtConfig config;
    config.brokers = servers.kafka;
    config.postgres_url = servers.postgres;
    config.es_url = servers.es;
    config.sections = fmt::format(R"(indexes:
  {0}_a:
    table: {0}_a
  {0}_b:
    table: {0}_b
  {0}_c:
    query: SELECT id, to_jsonb(t) AS doc FROM {0}_a t WHERE id = ANY($1::bigint[])
cascades:
  {0}_x:
    topic: {0}_x
    target: {0}_a
    query: SELECT id FROM {0}_a WHERE id = ANY($1::bigint[])
  {0}_y:
    topic: {0}_y
    target: {0}_b
    query: SELECT id FROM {0}_b WHERE id = ANY($1::bigint[])
)",
                                  fixture.name());
    fixture.write_config(config);
    return fixture.kt("check");
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
    const auto run = kt_check(servers);
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
    const auto run = kt_check(servers);
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
    const auto run = kt_check(servers);
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
