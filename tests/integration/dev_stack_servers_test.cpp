// The development stack runs the real servers when they are chosen (KT_STACK_KAFKA=kafka,
// KT_STACK_SEARCH=opensearch or elasticsearch): Apache Kafka, not librdkafka's mock cluster, and
// OpenSearch or Elasticsearch, not the stand-in, each a java process. On the light stack these
// tests skip.
#include <gtest/gtest.h>
#include <httplib.h>
#include <librdkafka/rdkafka.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "lib/kafka/detail/handles.hpp"
#include "tests/support/test_env.hpp"

namespace kt::test {
namespace {

using nlohmann::json;

/// The cluster id the brokers at `brokers` report; empty when they do not answer.
std::string cluster_id(const std::string& brokers) {
    char err[512];
    kafka::detail::ConfPtr conf(rd_kafka_conf_new());
    if (rd_kafka_conf_set(conf.get(), "bootstrap.servers", brokers.c_str(), err, sizeof(err)) !=
        RD_KAFKA_CONF_OK) {
        return {};
    }
    kafka::detail::HandlePtr handle(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), err, sizeof(err)));
    if (!handle) return {};
    (void)conf.release();  // rd_kafka_new owns it now
    char* raw = rd_kafka_clusterid(handle.get(), 10000);
    if (raw == nullptr) return {};
    std::string out(raw);
    rd_kafka_mem_free(handle.get(), raw);
    return out;
}

/// The port of a `host:port` address or of a URL ending in `:port`.
int port_of(const std::string& address) {
    return std::stoi(address.substr(address.rfind(':') + 1));
}

/// The command name (/proc/PID/comm) of the process listening on TCP `port`; nullopt when none
/// is found.
std::optional<std::string> listener_of(int port) {
    std::string inode;
    for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        std::ifstream in(table);
        std::string line;
        std::getline(in, line);  // header
        while (std::getline(in, line)) {
            std::istringstream fields(line);
            std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, node;
            fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
                timeout >> node;
            if (state != "0A") continue;  // LISTEN
            if (std::stoi(local.substr(local.find(':') + 1), nullptr, 16) == port) inode = node;
        }
    }
    if (inode.empty()) return std::nullopt;
    const std::string wanted = "socket:[" + inode + "]";
    std::error_code ec;
    for (const auto& process : std::filesystem::directory_iterator("/proc", ec)) {
        const auto pid = process.path().filename().string();
        if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
        std::error_code fd_ec;
        for (const auto& fd : std::filesystem::directory_iterator(process.path() / "fd", fd_ec)) {
            std::error_code link_ec;
            if (std::filesystem::read_symlink(fd.path(), link_ec).string() == wanted) {
                std::string comm;
                std::getline(std::ifstream(process.path() / "comm"), comm);
                return comm;
            }
        }
    }
    return std::nullopt;
}

/// GET / on the stack's search server.
httplib::Result get_root() { return httplib::Client(es_url()).Get("/"); }

TEST(DevStackServers, KafkaIsApacheKafkaInAJavaProcessWhenChosen) {
    if (!stack_runs_real_kafka()) {
        GTEST_SKIP() << "the stack runs kt-devbroker (start it with KT_STACK_KAFKA=kafka for "
                        "Apache Kafka)";
    }
    const auto id = cluster_id(kafka_brokers());
    ASSERT_FALSE(id.empty()) << "no cluster id from " << kafka_brokers();
    EXPECT_FALSE(id.starts_with("mockCluster")) << id;
    // The same question tells kt-devbroker's mock apart, so the check above means something.
    EXPECT_TRUE(cluster_id(devbroker_brokers()).starts_with("mockCluster"));
    EXPECT_EQ(listener_of(port_of(kafka_brokers())), "java");
}

TEST(DevStackServers, SearchIsOpenSearchInAJavaProcessWhenChosen) {
    if (stack_search() != "opensearch") {
        GTEST_SKIP() << "the stack runs " << stack_search()
                     << " (start it with KT_STACK_SEARCH=opensearch for OpenSearch)";
    }
    const auto res = get_root();
    ASSERT_TRUE(res) << es_url() << " unreachable";
    ASSERT_EQ(res->status, 200) << res->body;
    const auto version = json::parse(res->body).at("version");
    EXPECT_EQ(version.value("distribution", ""), "opensearch") << res->body;
    EXPECT_TRUE(version.value("number", "").starts_with("2.19.")) << res->body;
    EXPECT_EQ(listener_of(port_of(es_url())), "java");
}

TEST(DevStackServers, SearchIsElasticsearchInAJavaProcessWhenChosen) {
    if (stack_search() != "elasticsearch") {
        GTEST_SKIP() << "the stack runs " << stack_search()
                     << " (start it with KT_STACK_SEARCH=elasticsearch for Elasticsearch)";
    }
    const auto res = get_root();
    ASSERT_TRUE(res) << es_url() << " unreachable";
    ASSERT_EQ(res->status, 200) << res->body;
    const auto version = json::parse(res->body).at("version");
    EXPECT_FALSE(version.contains("distribution")) << res->body;  // OpenSearch names itself there
    EXPECT_TRUE(version.value("number", "").starts_with("8.14.")) << res->body;
    // Elasticsearch 8's REST layer marks every answer so; its clients refuse servers without it.
    EXPECT_EQ(res->get_header_value("X-elastic-product"), "Elasticsearch");
    EXPECT_EQ(listener_of(port_of(es_url())), "java");
}

}  // namespace
}  // namespace kt::test
