// The metrics the workers export, read from running kt-indexer, kt-delayer and kt-cascader on
// the development stack, against what docker/grafana-dashboard.json queries and what the
// "Metrics" table of docs/operations.md documents; and the image's health probe against a live
// worker.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "lib/app/publisher.hpp"
#include "tests/support/dev_stack.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/test_env.hpp"
#include "tests/support/worker_process.hpp"

namespace kt::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr auto kDeadline = 90s;

std::string read_source(const std::string& relative) {
    std::ifstream in(std::string(KT_SOURCE_DIR) + "/" + relative);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// One metric family as exposed: its type and the label names of its series.
struct Family {
    std::string type;
    std::set<std::string> labels;  ///< of the base series (not `le` of the buckets)
};

/// Families of a Prometheus text exposition, by name.
std::map<std::string, Family> families(const std::string& text) {
    std::map<std::string, Family> out;
    std::istringstream in(text);
    const std::regex type_line(R"(# TYPE (\S+) (\S+))");
    const std::regex sample(R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? \S+)");
    const std::regex label(R"((\w+)=")");
    for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (std::regex_match(line, m, type_line)) {
            out[m[1]].type = m[2];
            continue;
        }
        if (line.empty() || line[0] == '#' || !std::regex_match(line, m, sample)) continue;
        std::string name = m[1];
        for (const char* suffix : {"_bucket", "_sum", "_count"}) {
            const std::string base = name.substr(0, name.size() - std::string(suffix).size());
            if (name.ends_with(suffix) && out.contains(base) && out[base].type == "histogram") {
                name = base;
            }
        }
        const std::string labels = m[3];
        for (auto it = std::sregex_iterator(labels.begin(), labels.end(), label);
             it != std::sregex_iterator(); ++it) {
            if ((*it)[1] != "le") out[name].labels.insert((*it)[1]);
        }
    }
    return out;
}

/// A table, two topics, a delay topic and a config with one index, one delayer and one
/// cascade, all under unique names.
class Pipeline : public Fixture {
public:
    Pipeline() : Fixture("dockm") {
        create_tables(fmt::format("CREATE TABLE {0}_items (id bigint PRIMARY KEY, title text NOT "
                                  "NULL, parent bigint);"
                                  "INSERT INTO {0}_items SELECT g, 'item ' || g, 1 "
                                  "FROM generate_series(1, 5) g",
                                  prefix()),
                      {prefix() + "_items"});
        for (const auto& t : {prefix() + "_items", prefix() + "_parents", prefix() + "_delay"}) {
            create_topic_with_dead_letters(t, 2);
        }
        auto config = this->config();
        config.sections = fmt::format(R"(indexes:
  {0}_items:
    table: {0}_items
    batch_wait: 50ms
delayers:
  {0}_delay: {{ delay: 1s, target: {0}_items }}
cascades:
  {0}_children:
    topic: {0}_parents
    query: SELECT id FROM {0}_items WHERE parent = ANY($1::bigint[])
    target: {0}_items
    batch_wait: 50ms
)",
                                      prefix());
        write_config(config);
    }

    [[nodiscard]] const std::string& prefix() const { return name(); }

    std::unique_ptr<WorkerProcess> start(const std::string& binary_name) {
        return start_worker(binary_name, binary_name);
    }

    /// Instant messages for ids 1..5 on the items topic, a parent id on the parents topic and a
    /// delay message for id 1, so that every worker has a batch to count.
    void announce() {
        app::PublisherOptions options;
        options.kafka = broker_options();
        options.delay_topics.emplace(prefix() + "_items", prefix() + "_delay");
        app::Publisher publisher(std::move(options));
        const std::vector<std::string> ids{"1", "2", "3", "4", "5"};
        publisher.queue(prefix() + "_items", ids);
        publisher.queue(prefix() + "_parents", "1");
        publisher.delay(prefix() + "_items", "1");
        ASSERT_EQ(publisher.flush(), ids.size() + 2);
    }
};

/// /metrics of `worker` once `ready(exposition)` holds; empty at the deadline.
std::string scrape_when(WorkerProcess& worker,
                        const std::function<bool(const std::string&)>& ready) {
    const auto port = wait_status_port(worker, kDeadline);
    if (!port) return "";
    std::string text;
    const bool ok = wait_until(
        [&] {
            text = http_get(*port, "/metrics").second;
            return ready(text);
        },
        kDeadline, 200ms);
    return ok ? text : "";
}

/// Every kt metric name a dashboard expression names, with the labels the expression uses
/// (selectors and `by (...)`).
std::map<std::string, std::set<std::string>> dashboard_metrics() {
    const json d = json::parse(read_source("docker/grafana-dashboard.json"));
    std::vector<std::string> exprs;
    for (const auto& panel : d.at("panels")) {
        for (const auto& t : panel.value("targets", json::array())) exprs.push_back(t.at("expr"));
    }
    for (const auto& v : d.at("templating").at("list")) {
        if (v.at("type") == "query") exprs.push_back(v.at("definition"));
    }
    std::map<std::string, std::set<std::string>> out;
    const std::regex metric(R"(\bkt_[a-z0-9_]+)");
    const std::regex selector(R"((\w+)\s*(=~|!=|!~|=)\s*")");
    const std::regex by(R"(by \(([^)]*)\))");
    const std::regex label_values(R"(label_values\((\w+),\s*(\w+)\))");
    for (const auto& e : exprs) {
        std::set<std::string> names;
        for (auto it = std::sregex_iterator(e.begin(), e.end(), metric);
             it != std::sregex_iterator(); ++it) {
            names.insert(it->str());
        }
        std::set<std::string> labels;
        for (auto it = std::sregex_iterator(e.begin(), e.end(), selector);
             it != std::sregex_iterator(); ++it) {
            labels.insert((*it)[1]);
        }
        for (auto it = std::sregex_iterator(e.begin(), e.end(), by); it != std::sregex_iterator();
             ++it) {
            std::string list = (*it)[1];
            std::replace(list.begin(), list.end(), ',', ' ');
            std::istringstream words(list);
            for (std::string w; words >> w;) labels.insert(w);
        }
        std::smatch lv;
        if (std::regex_search(e, lv, label_values)) labels.insert(lv[2]);
        for (const auto& n : names) out[n].insert(labels.begin(), labels.end());
    }
    return out;
}

/// The "Metrics" table of docs/operations.md: name -> (type, label names).
std::map<std::string, Family> readme_metrics() {
    const std::string readme = read_source("docs/operations.md");
    const auto begin = readme.find("\n## Metrics\n");
    EXPECT_NE(begin, std::string::npos) << "docs/operations.md has no \"## Metrics\" section";
    if (begin == std::string::npos) return {};
    const auto end = readme.find("\n## ", begin + 1);
    std::istringstream in(readme.substr(begin, end - begin));
    std::map<std::string, Family> out;
    const std::regex row(
        R"(\| `((?:kt|process)_\w+)` \| (counter|gauge|histogram) \| ([^|]*) \|.*)");
    const std::regex label(R"(`(\w+)`)");
    for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (!std::regex_match(line, m, row)) continue;
        Family f{m[2], {}};
        const std::string labels = m[3];
        for (auto it = std::sregex_iterator(labels.begin(), labels.end(), label);
             it != std::sregex_iterator(); ++it) {
            f.labels.insert((*it)[1]);
        }
        out[m[1]] = f;
    }
    return out;
}

TEST(DockerMetrics, DashboardAndDocsMatchWhatTheWorkersExport) {
    Pipeline pipeline;
    auto indexer = pipeline.start("kt-indexer");
    auto delayer = pipeline.start("kt-delayer");
    auto cascader = pipeline.start("kt-cascader");
    pipeline.announce();

    // Lag series exist once partitions are assigned and fetched.
    const auto has = [](const std::string& needle) {
        return [needle](const std::string& text) { return text.find(needle) != std::string::npos; };
    };
    std::map<std::string, Family> exported;
    for (const auto& [worker, needle] : std::vector<std::pair<WorkerProcess*, std::string>>{
             {indexer.get(), "kt_indexer_consumer_lag{"},
             {delayer.get(), "kt_delayer_held_envelopes{"},
             {cascader.get(), "kt_cascader_consumer_lag{"}}) {
        const std::string text = scrape_when(*worker, has(needle));
        ASSERT_FALSE(text.empty()) << "no " << needle << " series by the deadline; log:\n"
                                   << worker->log();
        for (auto& [name, family] : families(text)) exported[name] = family;
    }

    // Prometheus conventions (also the audit the documented table rests on).
    // Besides the workers' own families, each process exports the standard process_* ones and
    // kt_build_info, without a worker label.
    for (const auto& name :
         {"process_cpu_seconds_total", "process_resident_memory_bytes",
          "process_start_time_seconds", "process_open_fds", "process_max_fds", "kt_build_info"}) {
        EXPECT_TRUE(exported.contains(name)) << name;
    }
    for (const auto& [name, f] : exported) {
        EXPECT_EQ(f.type == "counter", name.ends_with("_total")) << name << " is a " << f.type;
        if (name.starts_with("process_") || name == "kt_build_info") continue;
        EXPECT_TRUE(
            std::regex_match(name, std::regex(R"(kt_(indexer|delayer|cascader)_[a-z0-9_]+)")))
            << name;
        if (name.find("duration") != std::string::npos ||
            name.find("lateness") != std::string::npos) {
            EXPECT_TRUE(name.ends_with("_seconds")) << name;
        }
        const std::string worker_label = name.starts_with("kt_indexer_")   ? "index"
                                         : name.starts_with("kt_delayer_") ? "delayer"
                                                                           : "cascade";
        EXPECT_TRUE(f.labels.contains(worker_label)) << name << " lacks the label " << worker_label;
    }

    // Every metric the dashboard queries is exported, with the labels it uses.
    const auto used = dashboard_metrics();
    EXPECT_GE(used.size(), 20U);
    for (const auto& [series, labels] : used) {
        std::string name = series;
        if (name.ends_with("_bucket")) name = name.substr(0, name.size() - 7);
        const auto it = exported.find(name);
        if (it == exported.end()) {
            ADD_FAILURE() << "the dashboard queries " << series << ", which no worker exports";
            continue;
        }
        if (series != name) {
            EXPECT_EQ(it->second.type, "histogram") << series;
        }
        for (const auto& l : labels) {
            if (l == "le" && series != name) continue;
            EXPECT_TRUE(it->second.labels.contains(l))
                << "the dashboard uses label " << l << " of " << series << ", which has none";
        }
    }

    // The table lists exactly the exported metrics, with their types and labels.
    const auto documented = readme_metrics();
    for (const auto& [name, f] : exported) {
        const auto it = documented.find(name);
        if (it == documented.end()) {
            ADD_FAILURE() << "the Metrics table of docs/operations.md lacks " << name;
            continue;
        }
        EXPECT_EQ(it->second.type, f.type) << name;
        EXPECT_EQ(it->second.labels, f.labels) << name;
    }
    for (const auto& [name, f] : documented) {
        EXPECT_TRUE(exported.contains(name))
            << "docs/operations.md documents " << name << ", not exported";
    }
}

TEST(DockerMetrics, ImageHealthProbeAnswersForARunningWorker) {
    Pipeline pipeline;
    auto delayer = pipeline.start("kt-delayer");
    const auto port = wait_status_port(*delayer, kDeadline);
    ASSERT_TRUE(port) << delayer->log();
    const auto probe = [&](const std::string& path, int p) {
        return run_command("bash " + std::string(KT_SOURCE_DIR) + "/docker/entrypoint.sh probe " +
                           path + " " + std::to_string(p));
    };
    const auto healthy = probe("/healthz", *port);
    EXPECT_EQ(healthy.exit_code, 0) << healthy.output;
    // kt-delayer's readiness needs Kafka only: it turns ready on the development broker.
    EXPECT_TRUE(
        wait_until([&] { return probe("/readyz", *port).exit_code == 0; }, kDeadline, 200ms))
        << probe("/readyz", *port).output;
    const auto missing = probe("/no-such-page", *port);
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_THAT(missing.output, ::testing::HasSubstr("answered 'HTTP/1.1 404"));
    delayer->terminate();
    ASSERT_EQ(delayer->wait_exit(15s), 0);
    const auto gone = probe("/healthz", *port);
    EXPECT_EQ(gone.exit_code, 1);
    EXPECT_THAT(gone.output, ::testing::HasSubstr("nothing listens on port"));
}

}  // namespace
}  // namespace kt::test
