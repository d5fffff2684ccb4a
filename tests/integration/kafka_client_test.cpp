// kt::kafka against the stack's Kafka (Apache Kafka, or kt-devbroker on the light stack):
// producer delivery reports, group consumption with manual commits, pause/resume, rebalance
// hooks, metadata.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "lib/app/publisher.hpp"
#include "lib/kafka/admin.hpp"
#include "lib/kafka/consumer.hpp"
#include "lib/kafka/error.hpp"
#include "lib/kafka/producer.hpp"
#include "tests/support/dev_stack.hpp"
#include "tests/support/test_env.hpp"

extern char** environ;

namespace {

using namespace std::chrono_literals;
using kt::kafka::TopicPartition;
using kt::test::create_topic;

constexpr auto kDeadline = 30s;

kt::kafka::Options producer_options() {
    kt::kafka::Options options;
    options.brokers = kt::test::kafka_brokers();
    return options;
}

/// Short session timeouts: the mock makes a joining member wait out a departed one's session.
kt::kafka::Options consumer_options(const std::string& group,
                                    std::map<std::string, std::string> extra = {}) {
    kt::kafka::Options options;
    options.brokers = kt::test::kafka_brokers();
    options.group_id = group;
    options.properties = {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}};
    for (auto& [k, v] : extra) options.properties[k] = v;
    return options;
}

/// Produces `count` messages keyed `key-<i>` (or to `partition` when set) and flushes.
void produce_messages(const std::string& topic, int count,
                      std::int32_t partition = kt::kafka::kAnyPartition,
                      const std::string& prefix = "key") {
    kt::kafka::Producer producer(producer_options());
    for (int i = 0; i < count; ++i) {
        const std::string key = prefix + "-" + std::to_string(i);
        const std::string value = R"({"id":")" + key + R"("})";
        kt::kafka::Record record{topic, key, value, {}, partition, static_cast<std::uint64_t>(i)};
        producer.produce(record);
    }
    const auto result = producer.flush(kDeadline);
    ASSERT_EQ(result.delivered, static_cast<std::uint64_t>(count));
    ASSERT_EQ(result.failed, 0u);
}

std::vector<TopicPartition> partitions_of(const std::string& topic, int count) {
    std::vector<TopicPartition> result;
    for (int p = 0; p < count; ++p) result.push_back(TopicPartition{topic, p});
    return result;
}

// ---------------------------------------------------------------------------------------------

TEST(KafkaAdmin, CreatedTopicIsVisibleWithItsPartitionCount) {
    const auto topic = kt::test::unique_name("kadmin");
    create_topic(topic, 5);
    kt::kafka::Admin admin(producer_options());
    std::optional<kt::kafka::TopicMetadata> found;
    ASSERT_TRUE(kt::test::wait_until(
        [&] { return (found = admin.describe_topic(topic, 5s)).has_value(); }, kDeadline));
    EXPECT_EQ(found->partitions, 5);
    EXPECT_EQ(found->error, kt::kafka::ErrorCode::kNoError);
    EXPECT_FALSE(admin.describe_topic(kt::test::unique_name("kmissing"), 5s).has_value());
}

TEST(KafkaProducer, DeliveryReportsArriveForEveryMessageAndFlushReturns) {
    const auto topic = kt::test::unique_name("kprod");
    create_topic(topic, 3);
    std::vector<kt::kafka::DeliveryReport> reports;
    std::set<std::uint64_t> tags;
    kt::kafka::Producer producer(producer_options(), [&](const kt::kafka::DeliveryReport& r) {
        reports.push_back(r);
        tags.insert(r.tag);
        EXPECT_EQ(r.topic, topic);
    });
    const kt::kafka::Header headers[] = {{"origin", "test"}, {"empty", std::nullopt}};
    constexpr int kCount = 200;
    for (int i = 0; i < kCount; ++i) {
        const std::string key = std::to_string(i);
        producer.produce(kt::kafka::Record{topic, key, "{}", headers, kt::kafka::kAnyPartition,
                                           static_cast<std::uint64_t>(i)});
    }
    const auto result = producer.flush(kDeadline);
    EXPECT_EQ(result.delivered, static_cast<std::uint64_t>(kCount));
    EXPECT_EQ(result.failed, 0u);
    EXPECT_TRUE(result.ok());
    EXPECT_EQ(producer.in_flight(), 0u);
    ASSERT_EQ(reports.size(), static_cast<std::size_t>(kCount));
    EXPECT_EQ(tags.size(), static_cast<std::size_t>(kCount));
    for (const auto& r : reports) {
        EXPECT_TRUE(r.ok());
        EXPECT_GE(r.offset, 0);
        EXPECT_GE(r.partition, 0);
        EXPECT_LT(r.partition, 3);
    }
    // The next flush only counts what happened after this one.
    EXPECT_EQ(producer.flush(1s).delivered, 0u);
}

TEST(KafkaProducer, ProducingToAPartitionTheTopicLacksIsReportedToTheCaller) {
    const auto topic = kt::test::unique_name("kbadpart");
    create_topic(topic, 1);
    std::vector<kt::kafka::DeliveryReport> failures;
    kt::kafka::Producer producer(producer_options(), [&](const kt::kafka::DeliveryReport& r) {
        if (!r.ok()) failures.push_back(r);
    });
    // Learn the topic first so the failure is immediate rather than after message.timeout.ms.
    producer.produce(topic, std::string_view("k"), "{}");
    ASSERT_TRUE(producer.flush(kDeadline).ok());

    bool thrown = false;
    try {
        producer.produce(kt::kafka::Record{topic, "k", "{}", {}, 7, 42});
    } catch (const kt::kafka::KafkaError& e) {
        thrown = true;
        EXPECT_EQ(e.code(), kt::kafka::ErrorCode::kUnknownPartition);
    }
    const auto result = producer.flush(kDeadline);
    if (!thrown) {
        EXPECT_EQ(result.failed, 1u);
        EXPECT_EQ(result.first_error, kt::kafka::ErrorCode::kUnknownPartition);
        ASSERT_EQ(failures.size(), 1u);
        EXPECT_EQ(failures[0].tag, 42u);
    }
}

TEST(KafkaConsumer, ReturnsKeyPayloadHeadersAndTimestamp) {
    const auto topic = kt::test::unique_name("kmsg");
    create_topic(topic, 1);
    {
        kt::kafka::Producer producer(producer_options());
        const kt::kafka::Header headers[] = {{"error", "boom"}, {"nil", std::nullopt}};
        producer.produce(topic, std::string_view("id-1"), R"({"id":1})", headers);
        producer.produce(topic, std::nullopt, R"({"id":2})");
        ASSERT_TRUE(producer.flush(kDeadline).ok());
    }
    kt::kafka::Consumer consumer(consumer_options(kt::test::unique_name("gmsg")));
    consumer.subscribe({topic});
    std::vector<kt::kafka::Message> got;
    ASSERT_TRUE(kt::test::wait_until(
        [&] {
            consumer.poll_batch(got, 10, 100ms);
            return got.size() >= 2;
        },
        kDeadline));
    EXPECT_EQ(got[0].topic(), topic);
    EXPECT_EQ(got[0].key(), std::optional<std::string_view>("id-1"));
    EXPECT_EQ(got[0].payload(), R"({"id":1})");
    EXPECT_EQ(got[0].header("error"), std::optional<std::string_view>("boom"));
    EXPECT_FALSE(got[0].header("nil").has_value());
    ASSERT_EQ(got[0].headers().size(), 2u);
    EXPECT_EQ(got[0].headers()[1].name, "nil");
    EXPECT_FALSE(got[0].headers()[1].value.has_value());
    ASSERT_TRUE(got[0].timestamp().has_value());
    EXPECT_GT(got[0].timestamp()->count(), 1'600'000'000'000);
    EXPECT_FALSE(got[1].key().has_value());
    EXPECT_EQ(got[1].offset(), 1);
    EXPECT_TRUE(got[1].headers().empty());
}

TEST(KafkaConsumer, NewMemberOfTheGroupResumesAfterTheCommittedOffset) {
    const auto topic = kt::test::unique_name("kresume");
    const auto group = kt::test::unique_name("gresume");
    create_topic(topic, 1);
    produce_messages(topic, 10, 0);
    {
        kt::kafka::Consumer first(consumer_options(group));
        first.subscribe({topic});
        std::vector<kt::kafka::Message> got;
        ASSERT_TRUE(kt::test::wait_until(
            [&] {
                first.poll_batch(got, 4 - got.size(), 100ms);
                return got.size() >= 4;
            },
            kDeadline));
        EXPECT_EQ(got[3].offset(), 3);
        first.commit({TopicPartition{topic, 0, got[3].offset() + 1}});
        const auto committed = first.committed(partitions_of(topic, 1), 10s);
        ASSERT_EQ(committed.size(), 1u);
        EXPECT_EQ(committed[0].offset, 4);
        first.close();
    }
    kt::kafka::Consumer second(consumer_options(group));
    second.subscribe({topic});
    std::optional<kt::kafka::Message> message;
    ASSERT_TRUE(kt::test::wait_until(
        [&] {
            message = second.poll(100ms);
            return message && !message->is_error();
        },
        kDeadline));
    EXPECT_EQ(message->offset(), 4);
    EXPECT_EQ(message->key(), std::optional<std::string_view>("key-4"));
    const auto marks = second.query_watermarks(topic, 0, 10s);
    EXPECT_EQ(marks.low, 0);
    EXPECT_EQ(marks.high, 10);
}

TEST(KafkaConsumer, PauseStopsDeliveryOfAPartitionAndResumeRestartsIt) {
    const auto topic = kt::test::unique_name("kpause");
    create_topic(topic, 2);
    kt::kafka::Consumer consumer(consumer_options(kt::test::unique_name("gpause")));
    consumer.subscribe({topic});
    ASSERT_TRUE(kt::test::wait_until(
        [&] {
            (void)consumer.poll(100ms);
            return consumer.assignment().size() == 2;
        },
        kDeadline));
    consumer.pause({TopicPartition{topic, 0}});
    produce_messages(topic, 5, 0, "p0");
    produce_messages(topic, 5, 1, "p1");  // produced after partition 0's messages

    std::map<int, int> per_partition;
    auto drain = [&] {
        std::vector<kt::kafka::Message> got;
        consumer.poll_batch(got, 100, 100ms);
        for (const auto& m : got) ++per_partition[m.partition()];
    };
    ASSERT_TRUE(kt::test::wait_until(
        [&] {
            drain();
            return per_partition[1] == 5;
        },
        kDeadline));
    // Partition 1's later messages all arrived; a few more fetch rounds must not bring p0's.
    for (int i = 0; i < 5; ++i) drain();
    EXPECT_EQ(per_partition[0], 0);

    consumer.resume({TopicPartition{topic, 0}});
    ASSERT_TRUE(kt::test::wait_until(
        [&] {
            drain();
            return per_partition[0] == 5;
        },
        kDeadline));
    EXPECT_EQ(per_partition[1], 5);
}

class KafkaRebalance : public ::testing::TestWithParam<const char*> {};

TEST_P(KafkaRebalance, RevocationHookRunsBeforePartitionsGoAwayWhenASecondMemberJoins) {
    const auto topic = kt::test::unique_name("krebal");
    const auto group = kt::test::unique_name("grebal");
    create_topic(topic, 2);
    const auto options = consumer_options(group, {{"partition.assignment.strategy", GetParam()}});

    kt::kafka::Consumer* first_ptr = nullptr;
    std::vector<TopicPartition> revoked;
    // Partitions a revocation named that were no longer assigned when the hook ran. Checked per
    // call: a slow join can take the group through more than one rebalance.
    std::vector<std::string> gone_before_hook;
    int assigned_calls = 0;
    int revoked_calls = 0;
    kt::kafka::RebalanceHooks hooks;
    hooks.on_assigned = [&](const std::vector<TopicPartition>&) { ++assigned_calls; };
    // Set before close(): leaving the group revokes too, and librdkafka then answers an
    // assignment query with _DESTROY (Local: Broker handle destroyed) under the cooperative
    // protocol. The test is about the revocation a joining member causes.
    bool closing = false;
    hooks.on_revoked = [&](const std::vector<TopicPartition>& partitions) {
        if (closing) return;
        ++revoked_calls;
        revoked.insert(revoked.end(), partitions.begin(), partitions.end());
        const auto still_assigned = first_ptr->assignment();
        for (const auto& tp : partitions) {
            const bool present =
                std::find_if(still_assigned.begin(), still_assigned.end(),
                             [&](const TopicPartition& a) {
                                 return a.topic == tp.topic && a.partition == tp.partition;
                             }) != still_assigned.end();
            if (!present) gone_before_hook.push_back(tp.topic + "[" + std::to_string(tp.partition) + "]");
        }
    };
    kt::kafka::Consumer first(options, hooks);
    first_ptr = &first;
    first.subscribe({topic});
    ASSERT_TRUE(kt::test::wait_until(
        [&] {
            (void)first.poll(100ms);
            return first.assignment().size() == 2;
        },
        kDeadline));
    EXPECT_EQ(assigned_calls, 1);
    EXPECT_TRUE(revoked.empty());

    kt::kafka::Consumer second(options);
    second.subscribe({topic});
    ASSERT_TRUE(kt::test::wait_until(
        [&] {
            (void)first.poll(50ms);
            (void)second.poll(50ms);
            return first.assignment().size() == 1 && second.assignment().size() == 1;
        },
        kDeadline));
    ASSERT_FALSE(revoked.empty());
    EXPECT_TRUE(gone_before_hook.empty())
        << "gone before on_revoked ran: " << ::testing::PrintToString(gone_before_hook);
    const bool cooperative = std::string(GetParam()) == "cooperative-sticky";
    EXPECT_EQ(first.rebalance_protocol(), cooperative ? "COOPERATIVE" : "EAGER");
    if (cooperative && revoked_calls == 1) {
        EXPECT_EQ(revoked.size(), 1u);  // one rebalance: only the partition that moved
    }
    closing = true;
    first.close();
    second.close();
}

INSTANTIATE_TEST_SUITE_P(Kafka, KafkaRebalance, ::testing::Values("range", "cooperative-sticky"),
                         [](const ::testing::TestParamInfo<const char*>& param_info) {
                             return std::string(param_info.param) == "range" ? "Eager"
                                                                             : "Cooperative";
                         });

// ---------------------------------------------------------------------------------------------
// Two processes in one group. The parent re-runs this binary filtered to KafkaGroupChild, which
// only does something when KT_TEST_CHILD_TOPIC is set. The child reports through a file:
// "assigned N" after each rebalance, "msg P O" per message (after committing it), "done".

constexpr const char* kChildTopicEnv = "KT_TEST_CHILD_TOPIC";
constexpr const char* kChildGroupEnv = "KT_TEST_CHILD_GROUP";
constexpr const char* kChildOutEnv = "KT_TEST_CHILD_OUT";
constexpr const char* kChildStopEnv = "KT_TEST_CHILD_STOP";

TEST(KafkaGroupChild, ConsumesAndCommitsUntilTheStopFileAppears) {
    const char* topic = std::getenv(kChildTopicEnv);
    if (topic == nullptr) GTEST_SKIP() << "runs only as the child of KafkaGroup tests";
    const std::string out_path = std::getenv(kChildOutEnv);
    const std::string stop_path = std::getenv(kChildStopEnv);
    std::ofstream out(out_path, std::ios::app);
    kt::kafka::Consumer* self = nullptr;
    kt::kafka::RebalanceHooks hooks;
    bool rebalanced = false;
    hooks.on_assigned = [&](const std::vector<TopicPartition>&) { rebalanced = true; };
    hooks.on_revoked = [&](const std::vector<TopicPartition>&) { rebalanced = true; };
    kt::kafka::Consumer consumer(consumer_options(std::getenv(kChildGroupEnv)), hooks);
    self = &consumer;
    consumer.subscribe({topic});
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    while (!std::filesystem::exists(stop_path) && std::chrono::steady_clock::now() < deadline) {
        std::vector<kt::kafka::Message> got;
        consumer.poll_batch(got, 100, 100ms);
        if (rebalanced) {
            rebalanced = false;
            out << "assigned " << self->assignment().size() << std::endl;
        }
        for (const auto& m : got) {
            consumer.commit({TopicPartition{m.topic().data(), m.partition(), m.offset() + 1}});
            out << "msg " << m.partition() << " " << m.offset() << std::endl;
        }
    }
    consumer.close();
    out << "done" << std::endl;
}

struct ChildReport {
    int assigned = -1;  // partitions after the last rebalance
    std::vector<std::pair<int, std::int64_t>> messages;
    bool done = false;
};

ChildReport read_child_report(const std::string& path) {
    ChildReport report;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string kind;
        words >> kind;
        if (kind == "assigned") {
            words >> report.assigned;
        } else if (kind == "msg") {
            int p = 0;
            std::int64_t o = 0;
            if (words >> p >> o) report.messages.emplace_back(p, o);
        } else if (kind == "done") {
            report.done = true;
        }
    }
    return report;
}

/// Starts this test binary again as the KafkaGroupChild with `env` added; returns its pid.
pid_t spawn_child(const std::vector<std::string>& env) {
    const std::string self = std::filesystem::read_symlink("/proc/self/exe");
    std::vector<std::string> args = {self, "--gtest_filter=KafkaGroupChild.*"};
    std::vector<std::string> environment = env;
    for (char** e = environ; *e != nullptr; ++e) environment.emplace_back(*e);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : environment) envp.push_back(e.data());
    envp.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
    }
    return pid;
}

TEST(KafkaGroup, TwoProcessesShareTheTopicAndConsumeEveryMessageExactlyOnce) {
    const auto topic = kt::test::unique_name("kgroup");
    const auto group = kt::test::unique_name("ggroup");
    create_topic(topic, 3);
    const auto dir = std::filesystem::temp_directory_path() / kt::test::unique_name("kgroup");
    std::filesystem::create_directories(dir);
    const std::string out_path = dir / "child.out";
    const std::string stop_path = dir / "stop";

    const pid_t child = spawn_child(
        {std::string(kChildTopicEnv) + "=" + topic, std::string(kChildGroupEnv) + "=" + group,
         std::string(kChildOutEnv) + "=" + out_path, std::string(kChildStopEnv) + "=" + stop_path});
    ASSERT_GT(child, 0);
    struct StopChild {
        std::string stop_path;
        pid_t pid;
        ~StopChild() {
            std::ofstream(stop_path) << "stop\n";
            int status = 0;
            kt::test::wait_until([&] { return ::waitpid(pid, &status, WNOHANG) != 0; }, 30s);
        }
    } stop_child{stop_path, child};

    kt::kafka::Consumer parent(consumer_options(group));
    parent.subscribe({topic});
    std::vector<std::pair<int, std::int64_t>> parent_messages;
    auto consume = [&] {
        std::vector<kt::kafka::Message> got;
        parent.poll_batch(got, 100, 100ms);
        for (const auto& m : got) {
            parent.commit({TopicPartition{topic, m.partition(), m.offset() + 1}});
            parent_messages.emplace_back(m.partition(), m.offset());
        }
    };
    // Both members hold partitions before anything is produced.
    ASSERT_TRUE(kt::test::wait_until(
        [&] {
            consume();
            const auto mine = parent.assignment().size();
            const auto child_report = read_child_report(out_path);
            return mine >= 1 && child_report.assigned >= 1 &&
                   mine + static_cast<std::size_t>(child_report.assigned) == 3;
        },
        60s))
        << "parent holds " << parent.assignment().size() << ", child "
        << read_child_report(out_path).assigned;

    constexpr int kCount = 300;
    produce_messages(topic, kCount);
    ChildReport child_report;
    ASSERT_TRUE(kt::test::wait_until(
        [&] {
            consume();
            child_report = read_child_report(out_path);
            return parent_messages.size() + child_report.messages.size() >=
                   static_cast<std::size_t>(kCount);
        },
        60s));
    // Give late duplicates a chance to show up before counting.
    for (int i = 0; i < 5; ++i) consume();
    std::ofstream(stop_path) << "stop\n";
    ASSERT_TRUE(kt::test::wait_until([&] { return read_child_report(out_path).done; }, 30s));
    child_report = read_child_report(out_path);

    EXPECT_FALSE(parent_messages.empty());
    EXPECT_FALSE(child_report.messages.empty());
    std::set<std::pair<int, std::int64_t>> all(parent_messages.begin(), parent_messages.end());
    for (const auto& m : child_report.messages) {
        EXPECT_TRUE(all.insert(m).second) << "consumed twice: " << m.first << "@" << m.second;
    }
    EXPECT_EQ(all.size(), static_cast<std::size_t>(kCount));
    EXPECT_EQ(parent_messages.size() + child_report.messages.size(),
              static_cast<std::size_t>(kCount));

    parent.close();
    kt::kafka::Admin admin(producer_options());
    const auto committed = admin.committed(group, partitions_of(topic, 3), 10s);
    ASSERT_EQ(committed.size(), 3u);
    for (const auto& tp : committed) {
        EXPECT_EQ(tp.offset, admin.query_watermarks(topic, tp.partition, 10s).high)
            << "partition " << tp.partition;
    }
    std::filesystem::remove_all(dir);
}

}  // namespace

namespace {

TEST(AppPublisher, FlushNamesEachIdKafkaDidNotAcknowledge) {
    kt::app::PublisherOptions options;
    options.kafka.brokers = "127.0.0.1:1";  // nothing listens there
    options.kafka.properties["message.timeout.ms"] = "300";
    kt::app::Publisher publisher(std::move(options));
    const std::vector<std::string> ids{"1", "sku-2"};
    publisher.queue("products", ids);
    try {
        (void)publisher.flush();
        FAIL() << "expected PublishError";
    } catch (const kt::app::PublishError& e) {
        ASSERT_EQ(e.failures().size(), 2U);
        EXPECT_EQ(e.failures()[0].topic, "products");
        EXPECT_EQ(e.failures()[0].id, "1");
        EXPECT_EQ(e.failures()[1].id, "sku-2");
        EXPECT_TRUE(e.retryable());
    }
    EXPECT_EQ(publisher.flush(), 0U) << "failures are reported once";
}

}  // namespace
