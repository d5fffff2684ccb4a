// `kt produce` as a new user meets it: a topic nothing reads is refused, the timeout is the
// whole wait, and an unreachable broker is said once, not once per reconnect.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include <fmt/format.h>

#include "tests/support/dev_stack.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/test_env.hpp"

namespace kt::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ProduceCli : public ::testing::Test {
protected:
    /// A config whose index `name` reads topic `name`, with Kafka at `brokers`.
    std::string write_config(const std::string& brokers, const std::string& name) {
        KtConfig config;
        config.brokers = brokers;
        config.postgres_url = postgres_url();
        config.es_url = es_url();
        config.sections = fmt::format(R"yaml(indexes:
  {}:
    query: "SELECT p.id, row_to_json(p) AS doc FROM products p WHERE p.id = ANY($1::bigint[])"
)yaml",
                                      name);
        fixture_.write_config(config);
        return fixture_.config_path();
    }

    static CommandResult kt(const std::string& args) {
        return run_command(binary("kt") + " " + args);
    }

    Fixture fixture_{"produce_cli"};
};

TEST_F(ProduceCli, ATopicNoIndexOrCascadeReadsIsRefusedUnlessForced) {
    const std::string name = unique_name("produce_cli");
    const std::string other = name + "_other";
    create_topic(other, 1);
    const std::string config = write_config(kafka_brokers(), name);

    const auto refused = kt(fmt::format("produce --config {} {} 1", config, other));
    EXPECT_EQ(refused.exit_code, 2) << refused.output;
    EXPECT_THAT(refused.output, HasSubstr("reads topic " + other));
    EXPECT_THAT(refused.output, HasSubstr("the topics they read: " + name));
    EXPECT_THAT(refused.output, Not(HasSubstr("produced")));

    const auto forced = kt(fmt::format("produce --config {} --any-topic {} 1", config, other));
    EXPECT_EQ(forced.exit_code, 0) << forced.output;
    EXPECT_THAT(forced.output, HasSubstr("produced 1 message(s) to " + other));
}

TEST_F(ProduceCli, TheTimeoutIsTheWholeWaitAndAnUnreachableBrokerIsSaidOnce) {
    const std::string brokers = fmt::format("127.0.0.1:{}", closed_port());
    const std::string config = write_config(brokers, "products");
    const auto started = std::chrono::steady_clock::now();
    const auto run = kt(fmt::format("produce --config {} --timeout 3s products 1 2 3", config));
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_GE(took, 2.9) << run.output;
    EXPECT_LE(took, 5.0) << "the timeout was 3 s\n" << run.output;
    EXPECT_THAT(run.output, HasSubstr("Kafka at " + brokers + " did not acknowledge"));
    std::size_t connect_lines = 0;
    for (auto at = run.output.find("Connect to"); at != std::string::npos;
         at = run.output.find("Connect to", at + 1)) {
        ++connect_lines;
    }
    EXPECT_LE(connect_lines, 1u) << "one line for the same failure, not one per reconnect\n"
                                 << run.output;
}

TEST_F(ProduceCli, ABadTimeoutIsAUsageError) {
    const std::string config = write_config(kafka_brokers(), "products");
    const auto run = kt(fmt::format("produce --config {} --timeout soon products 1", config));
    EXPECT_EQ(run.exit_code, 2) << run.output;
    EXPECT_THAT(run.output, HasSubstr("--timeout: bad duration 'soon'"));
}

}  // namespace
}  // namespace kt::test
