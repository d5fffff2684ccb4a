// cascader_bench: children per second and CPU cost of the real kt-cascader on one large fan-out
// (one parent with --children children) on the development stack, next to the two halves done
// alone in this process: the association query streamed from PostgreSQL, and Kafka producing
// the same child messages. A report, not a test: exits 0 whatever the figures are, 1 only when
// it cannot run.
//
//   cascader_bench [--children 1000000] [--partitions 32] [--cascader PATH] [--timeout 600]
#include <CLI/CLI.hpp>
#include <pqxx/pqxx>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "bench/support.hpp"
#include "lib/app/options_from_config.hpp"
#include "lib/config/config.hpp"
#include "lib/error.hpp"
#include "lib/kafka/options.hpp"
#include "lib/kafka/producer.hpp"
#include "lib/log/log.hpp"
#include "lib/non_copyable.hpp"
#include "lib/pg/child_query.hpp"
#include "lib/wire/messages.hpp"

namespace kt::bench {
namespace {

constexpr double kTargetChildrenPerSecond = 100'000.0;

struct Args {
    int children = 1'000'000;
    int partitions = 32;  ///< of the target topic: the mock broker keeps about 5 MiB each
    std::string cascader = KT_BINARY_DIR "/cmd/kt-cascader";
    int timeout = 600;

    void add_options(CLI::App& app) {
        app.add_option("--children", children, "children of the one parent")
            ->check(CLI::Range(1000, 5'000'000));
        app.add_option("--partitions", partitions, "partitions of the target topic");
        app.add_option("--cascader", cascader, "kt-cascader executable");
        app.add_option("--timeout", timeout, "seconds allowed for the fan-out");
    }
};

/// `<name>(id bigint primary key, parent_id bigint)`: `children` rows of parent 1.
class ChildTable : private NonCopyable {
public:
    ChildTable(const Stack& stack, std::string name, int children)
        : name_(std::move(name)), conn_(stack.postgres_url) {
        pqxx::nontransaction tx(conn_);
        tx.exec("CREATE TABLE " + name_ + " (id bigint PRIMARY KEY, parent_id bigint NOT NULL)");
        tx.exec(fmt::format("INSERT INTO {} SELECT g, 1 FROM generate_series(1, {}) g", name_,
                            children));
        tx.exec("CREATE INDEX ON " + name_ + " (parent_id)");
        tx.exec("ANALYZE " + name_);
    }
    ~ChildTable() {
        try {
            pqxx::nontransaction tx(conn_);
            tx.exec("DROP TABLE IF EXISTS " + name_);
        } catch (...) {
        }
    }

    [[nodiscard]] std::string query() const {
        return "SELECT id FROM " + name_ + " WHERE parent_id = ANY($1::bigint[])";
    }

private:
    std::string name_;
    pqxx::connection conn_;
};

/// The real kt-cascader: from producing the parent id until every child is on the topic.
Figures run_end_to_end(const Stack& stack, const Args& args, const ScratchDir& dir,
                       const std::string& prefix, const std::string& query) {
    const std::string parents = prefix + "_parents";
    const std::string target = prefix + "_children";
    create_topic(stack, parents, 1);
    create_topic(stack, parents + ".dlq", 1);
    create_topic(stack, target, args.partitions);
    const auto config_path = dir.path() / "kt.yaml";
    std::ofstream(config_path) << fmt::format(R"(kafka:
  brokers: "{0}"
  group_prefix: {1}
  properties: {{session.timeout.ms: "6000", heartbeat.interval.ms: "500"}}
postgres: {{url: "{2}"}}
elasticsearch: {{url: "{3}"}}
indexes:
  {1}_children: {{topic: {4}, table: unused}}
cascades:
  {1}_fanout: {{topic: {5}, query: "{6}", target: {4}}}
)",
                                              stack.brokers, prefix, stack.postgres_url,
                                              stack.es_url, target, parents, query);
    const std::string log_path = (dir.path() / "kt-cascader.log").string();
    ChildProcess cascader({args.cascader, "--config", config_path.string(), "--metrics-port", "0"},
                          log_path);
    const auto joined = [&] {
        std::ifstream in(log_path);
        return std::string(std::istreambuf_iterator<char>(in), {}).find("assigned") !=
               std::string::npos;
    };
    for (const auto until = Clock::now() + seconds(60); !joined();) {
        if (Clock::now() > until || !cascader.running()) {
            throw Error("kt-cascader did not join its group; see " + log_path);
        }
        std::this_thread::sleep_for(milliseconds(50));  // polling the child's log
    }
    const double cpu_before = process_cpu_seconds(cascader.pid()).value_or(0);
    const auto started = Clock::now();
    {
        kafka::Options options;
        options.brokers = stack.brokers;
        kafka::Producer producer(options);
        producer.produce(parents, std::string_view("1"), wire::instant_message("1"));
        if (!producer.flush(seconds(30)).ok()) throw Error("the parent id was not acknowledged");
    }
    Figures f;
    for (const auto until = started + seconds(args.timeout);;) {
        f.count = topic_end(stack, target, args.partitions);
        if (f.count >= args.children) break;
        if (Clock::now() > until || !cascader.running()) {
            throw Error(fmt::format("{} of {} children after {} s; see {}", f.count,
                                    args.children, args.timeout, log_path));
        }
        std::this_thread::sleep_for(milliseconds(20));  // polling the topic's end
    }
    f.seconds = seconds_between(started, Clock::now());
    f.cpu_seconds = process_cpu_seconds(cascader.pid()).value_or(0) - cpu_before;
    const auto peak = process_peak_rss_bytes(cascader.pid());
    fmt::print("kt-cascader peak resident memory: {:.1f} MiB\n",
               static_cast<double>(peak.value_or(0)) / (1024.0 * 1024.0));
    (void)cascader.stop(seconds(10));
    return f;
}

/// The association query streamed in chunks of 5,000, nothing done with the ids.
Figures run_postgres_alone(const Stack& stack, const std::string& query) {
    config::CascadeConfig cascade;
    cascade.name = "bench";
    cascade.query = query;
    pg::ChildQuery child_query(app::pg_source(cascade), stack.postgres_url);
    return measure_here([&] {
        return static_cast<std::int64_t>(
            child_query.stream({"1"}, 5000, [](std::span<const std::string>) {}));
    });
}

/// The same child messages produced from this process, with kt-cascader's producer settings.
Figures run_kafka_alone(const Stack& stack, const Args& args, const std::string& topic) {
    create_topic(stack, topic, args.partitions);
    kafka::Options options;
    options.brokers = stack.brokers;
    options.properties = {{"queue.buffering.max.kbytes", "16384"},
                          {"queue.buffering.max.messages", "50000"}};
    kafka::Producer producer(options);
    return measure_here([&] {
        for (int i = 1; i <= args.children; ++i) {
            const std::string id = std::to_string(i);
            producer.produce(topic, std::string_view(id), wire::cascaded_message(id));
        }
        return static_cast<std::int64_t>(producer.flush(seconds(args.timeout)).delivered);
    });
}

int run(const Args& args) {
    const Stack stack = stack_from_env();
    const std::string prefix = "cbench_" + unique_suffix();
    fmt::print(
        "cascader_bench: one parent with {} children, target topic of {} partitions; "
        "load average before: {}\n",
        args.children, args.partitions, load_average());
    ChildTable table(stack, prefix + "_items", args.children);
    ScratchDir dir;
    const Figures end_to_end = run_end_to_end(stack, args, dir, prefix, table.query());
    const Figures postgres = run_postgres_alone(stack, table.query());
    const Figures kafka = run_kafka_alone(stack, args, prefix + "_alone");

    fmt::print("\n");
    print_row("figure", "children/s", "CPU us/child", "target");
    print_row(std::string(44, '-'), std::string(14, '-'), std::string(16, '-'),
              std::string(14, '-'));
    print_row("kt-cascader end to end (parent in, children out)",
              fmt::format("{:.0f}", end_to_end.rate()),
              fmt::format("{:.2f} cascader", end_to_end.micros()),
              fmt::format(">= {:.0f}", kTargetChildrenPerSecond));
    print_row("postgres alone (association query streamed)", fmt::format("{:.0f}", postgres.rate()),
              fmt::format("{:.2f} client", postgres.micros()), "");
    print_row("kafka alone (same messages produced)", fmt::format("{:.0f}", kafka.rate()),
              fmt::format("{:.2f} client", kafka.micros()), "");
    const double serial = 1.0 / (1.0 / postgres.rate() + 1.0 / kafka.rate());
    fmt::print("\nend to end / slowest component: {:.2f}\n",
               end_to_end.rate() / std::min(postgres.rate(), kafka.rate()));
    fmt::print("end to end / postgres-then-kafka serial bound ({:.0f} children/s): {:.2f}\n",
               serial, end_to_end.rate() / serial);
    fmt::print("target: {:.0f} children/s {}\n", end_to_end.rate(),
               end_to_end.rate() >= kTargetChildrenPerSecond ? "met" : "MISSED");
    return 0;
}

}  // namespace
}  // namespace kt::bench

int main(int argc, char** argv) {
    return kt::bench::bench_main(argc, argv, "cascader_bench",
                                 "kt-cascader benchmark on the development stack", kt::bench::run);
}
