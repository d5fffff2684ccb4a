#include "tests/support/fixture.hpp"

#include <httplib.h>
#include <pqxx/pqxx>

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <utility>

#include "tests/support/dev_stack.hpp"
#include "tests/support/test_env.hpp"

namespace kt::test {

std::string binary(const std::string& name) { return KT_BINARY_DIR "/cmd/" + name; }

std::optional<int> wait_ready(WorkerProcess& worker, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const auto port = wait_status_port(worker, timeout);
    if (!port) return std::nullopt;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    const bool ready = readyz_answers(*port, 200, std::max(left, std::chrono::milliseconds(0)));
    return ready ? port : std::nullopt;
}

::testing::AssertionResult readyz_answers(int port, int status,
                                          std::chrono::milliseconds timeout,
                                          std::pair<int, std::string>* last) {
    std::pair<int, std::string> answer;
    const bool answered = wait_until(
        [&] {
            answer = http_get(port, "/readyz");
            return answer.first == status;
        },
        timeout);
    if (last != nullptr) *last = answer;
    if (answered) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "/readyz answered " << answer.first << ", not " << status << ": " << answer.second;
}

::testing::AssertionResult stop_cleanly(const std::vector<WorkerProcess*>& workers,
                                        std::chrono::milliseconds timeout) {
    for (auto* worker : workers) worker->terminate();
    std::string failures;
    for (auto* worker : workers) {
        const auto code = worker->wait_exit(timeout);
        if (code == 0) continue;
        failures += fmt::format("{} {}:\n{}\n", worker->log_path(),
                                code ? "exited " + std::to_string(*code) : "still runs",
                                worker->log());
    }
    if (failures.empty()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << failures;
}

std::map<std::string, std::string> quick_group_properties(
    const std::map<std::string, std::string>& extra) {
    std::map<std::string, std::string> out{{"session.timeout.ms", "6000"},
                                           {"heartbeat.interval.ms", "500"}};
    for (const auto& [key, value] : extra) out[key] = value;
    return out;
}

std::string title_n_source(const std::string& table, bool shorthand, bool scan_query,
                           const std::string& key_type) {
    if (shorthand) return fmt::format("    table: {}\n", table);
    std::string out = fmt::format(
        "    query: SELECT id, jsonb_build_object('title', title, 'n', n) AS doc FROM {0} "
        "WHERE id = ANY($1::{1}[])\n",
        table, key_type);
    if (scan_query) {
        out += fmt::format(
            "    scan_query: SELECT id, jsonb_build_object('title', title, 'n', n) AS doc "
            "FROM {}\n",
            table);
    }
    return out;
}

std::string KtConfig::yaml() const {
    std::string out = fmt::format("kafka:\n  brokers: \"{}\"\n", brokers);
    if (!group_prefix.empty()) out += fmt::format("  group_prefix: {}\n", group_prefix);
    if (!properties.empty()) {
        out += "  properties:\n";
        for (const auto& [key, value] : properties) {
            out += fmt::format("    {}: \"{}\"\n", key, value);
        }
    }
    out += fmt::format("postgres:\n  url: \"{}\"\nelasticsearch:\n", postgres_url);
    if (!elasticsearch.empty()) return out + elasticsearch + "\n" + sections;
    out += fmt::format("  url: \"{}\"\n", es_url);
    if (!es_timeout.empty()) out += fmt::format("  timeout: {}\n", es_timeout);
    return out + sections;
}

struct Fixture::Connection {
    explicit Connection(const std::string& url) : db(url) {}
    pqxx::connection db;
};

Fixture::Fixture(const std::string& prefix, std::string postgres_url)
    : name_(unique_name(prefix)),
      postgres_url_(postgres_url.empty() ? test::postgres_url() : std::move(postgres_url)),
      dir_(std::filesystem::temp_directory_path() / name_),
      brokers_(kafka_brokers()) {
    std::filesystem::create_directories(dir_);
}

Fixture::~Fixture() {
    try {
        if (!tables_.empty() || !functions_.empty()) {
            std::string sql;
            for (const auto& table : tables_) sql += "DROP TABLE IF EXISTS " + table + ";";
            for (const auto& f : functions_) sql += "DROP FUNCTION IF EXISTS " + f + ";";
            // A connection of its own: the fixture's may be broken by what the test did.
            pqxx::connection db(postgres_url_);
            pqxx::nontransaction tx(db);
            tx.exec(sql);
        }
    } catch (...) {
    }
    for (const auto& [url, pattern] : indexes_) {
        try {
            (void)httplib::Client(url).Delete("/" + pattern);
        } catch (...) {
        }
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

std::string Fixture::name(std::string_view suffix) const {
    return name_ + "_" + std::string(suffix);
}

std::string Fixture::path(const std::string& file) const { return (dir_ / file).string(); }

void Fixture::use_broker(std::string brokers, std::string control) {
    brokers_ = std::move(brokers);
    control_ = std::move(control);
}

KtConfig Fixture::config() const {
    KtConfig config;
    config.brokers = brokers_;
    config.group_prefix = group_prefix();
    config.properties = quick_group_properties();
    config.postgres_url = postgres_url_;
    config.es_url = es_url();
    return config;
}

void Fixture::write_config(const std::string& yaml) const { (void)write_file("kt.yaml", yaml); }

std::string Fixture::write_file(const std::string& file, const std::string& text) const {
    std::string where = path(file);
    std::ofstream(where) << text;
    return where;
}

void Fixture::exec(const std::string& sql) {
    if (!db_) db_ = std::make_unique<Connection>(postgres_url_);
    pqxx::nontransaction tx(db_->db);
    tx.exec(sql);
    tx.commit();
}

void Fixture::create_tables(const std::string& sql, const std::vector<std::string>& tables) {
    for (const auto& table : tables) drop_at_end(table);
    exec(sql);
}

void Fixture::drop_at_end(const std::string& table) { tables_.push_back(table); }

void Fixture::drop_function_at_end(const std::string& signature) {
    functions_.push_back(signature);
}

void Fixture::delete_indexes_at_end(const std::string& es_url, const std::string& pattern) {
    indexes_.emplace_back(es_url, pattern);
}

void Fixture::create_topic(const std::string& topic, int partitions,
                           const std::map<std::string, std::string>& configs) const {
    if (control_.empty()) {
        test::create_topic(topic, partitions, configs);
    } else {
        test::create_topic(control_, topic, partitions);
    }
}

void Fixture::create_topic_with_dead_letters(const std::string& topic, int partitions) const {
    create_topic(topic, partitions);
    create_topic(topic + ".dlq", 1);
}

std::unique_ptr<WorkerProcess> Fixture::start_worker(
    const std::string& binary_name, const std::string& log_name,
    const std::vector<std::string>& extra, const std::map<std::string, std::string>& env) const {
    std::vector<std::string> args{"--config", config_path(), "--metrics-port", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    return start_process(binary_name, log_name, args, env);
}

std::unique_ptr<WorkerProcess> Fixture::start_process(
    const std::string& binary_name, const std::string& log_name,
    const std::vector<std::string>& args, const std::map<std::string, std::string>& env) const {
    return std::make_unique<WorkerProcess>(
        WorkerProcessOptions{binary(binary_name), args, env, path(log_name + ".log")});
}

CommandResult Fixture::kt(const std::string& args) const {
    return run_command(fmt::format("{} {} --config '{}' 2>&1", binary("kt"), args,
                                   config_path()));
}

}  // namespace kt::test
