#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "lib/non_copyable.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/worker_process.hpp"

namespace kt::test {

/// Path of executable `name` (kt, kt-indexer, kt-delayer, kt-cascader) built in this tree.
[[nodiscard]] std::string binary(const std::string& name);

/// Waits until `worker` logged its status port and answers 200 on /readyz: the port, nullopt
/// when either did not happen within `timeout`.
[[nodiscard]] std::optional<int> wait_ready(WorkerProcess& worker,
                                            std::chrono::milliseconds timeout);

/// Polls GET /readyz at `port` until it answers `status`: failure, with the last answer, when
/// `timeout` passes first. `last`, when given, receives the last answer.
[[nodiscard]] ::testing::AssertionResult readyz_answers(
    int port, int status, std::chrono::milliseconds timeout,
    std::pair<int, std::string>* last = nullptr);

/// SIGTERMs every one of `workers`, then waits up to `timeout` for each: success when all exited
/// 0, else which did not, with their logs.
[[nodiscard]] ::testing::AssertionResult stop_cleanly(const std::vector<WorkerProcess*>& workers,
                                                      std::chrono::milliseconds timeout);

/// librdkafka properties that let a group notice a departed member quickly (6 s sessions,
/// 500 ms heartbeats), with `extra` on top.
[[nodiscard]] std::map<std::string, std::string> quick_group_properties(
    const std::map<std::string, std::string>& extra = {});

/// An index entry's source lines for a table of (id, title, n): the `table:` shorthand, or a
/// `query:` (ids cast to `key_type`) making `{"title", "n"}` documents with its `scan_query:`
/// unless `scan_query` is false.
[[nodiscard]] std::string title_n_source(const std::string& table, bool shorthand,
                                         bool scan_query = true,
                                         const std::string& key_type = "bigint");

/// A kt.yaml: the kafka:, postgres: and elasticsearch: sections from the fields, then
/// `sections` (indexes:, delayers:, cascades:, ...) as YAML text.
struct KtConfig {
    std::string brokers;
    std::string group_prefix;                       ///< omitted when empty
    std::map<std::string, std::string> properties;  ///< kafka.properties, omitted when empty
    std::string postgres_url;
    std::string es_url;
    std::string es_timeout;  ///< elasticsearch.timeout, omitted when empty
    /// The lines under `elasticsearch:` verbatim (TLS, credentials, ...) instead of es_url and
    /// es_timeout, when not empty.
    std::string elasticsearch;
    std::string sections;    ///< the rest of the file, each line ending in a newline

    /// The file's text.
    [[nodiscard]] std::string yaml() const;
};

/// What one integration or reliability test owns: a unique name to derive its topics, group
/// prefix, tables and indexes from, a temp folder with its kt.yaml and worker logs, a
/// PostgreSQL connection, and the teardown: tables dropped, indexes deleted and the folder
/// removed when the object goes (topics stay, as the stack is thrown away whole). Not
/// thread-safe.
class Fixture : private NonCopyable {
public:
    /// `prefix` starts the unique name; tables live in the database at `postgres_url`.
    explicit Fixture(const std::string& prefix, std::string postgres_url = {});
    /// Drops the tables and functions, deletes the indexes and removes the folder; never throws.
    ~Fixture();

    /// The unique name, e.g. `ixe2e_123_0_4567`.
    [[nodiscard]] const std::string& name() const { return name_; }
    /// `<name>_<suffix>`.
    [[nodiscard]] std::string name(std::string_view suffix) const;
    /// `<name>_g`: the consumer groups' prefix in the config.
    [[nodiscard]] std::string group_prefix() const { return name_ + "_g"; }
    /// The temp folder.
    [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
    /// `file` in the temp folder.
    [[nodiscard]] std::string path(const std::string& file) const;
    /// The kt.yaml in the temp folder.
    [[nodiscard]] std::string config_path() const { return path("kt.yaml"); }
    /// The database the tables live in.
    [[nodiscard]] const std::string& postgres_url() const { return postgres_url_; }

    /// Kafka bootstrap servers and, for a private kt-devbroker, its control URL: where topics
    /// are created and what config() names. The stack's Kafka until called.
    void use_broker(std::string brokers, std::string control);
    [[nodiscard]] const std::string& brokers() const { return brokers_; }

    /// A config on the stack's servers (or use_broker's) with this fixture's group prefix and
    /// quick_group_properties(); the caller adds the sections.
    [[nodiscard]] KtConfig config() const;
    /// Writes `yaml` as the kt.yaml.
    void write_config(const std::string& yaml) const;
    void write_config(const KtConfig& config) const { write_config(config.yaml()); }
    /// Writes `text` to `file` in the temp folder; returns its path.
    std::string write_file(const std::string& file, const std::string& text) const;

    /// Runs `sql` outside a transaction, on the fixture's connection (opened on first use).
    void exec(const std::string& sql);
    /// Runs `sql` (CREATE TABLE ...) and drops `tables` at teardown.
    void create_tables(const std::string& sql, const std::vector<std::string>& tables);
    /// Drops `table` at teardown (one the test creates itself).
    void drop_at_end(const std::string& table);
    /// Drops function `signature` (e.g. `f()`) at teardown.
    void drop_function_at_end(const std::string& signature);
    /// Deletes the indices matching `pattern` (e.g. `<name>_*`) on `es_url` at teardown.
    void delete_indexes_at_end(const std::string& es_url, const std::string& pattern);

    /// Creates `topic` (Kafka topic configs given) where use_broker() says.
    void create_topic(const std::string& topic, int partitions,
                      const std::map<std::string, std::string>& configs = {}) const;
    /// Creates `topic` with `partitions` and its dead-letter topic `<topic>.dlq` (1 partition).
    void create_topic_with_dead_letters(const std::string& topic, int partitions) const;

    /// Starts executable `binary_name` with the kt.yaml, `--metrics-port 0` and `extra`; it logs
    /// to `<log_name>.log` in the temp folder.
    [[nodiscard]] std::unique_ptr<WorkerProcess> start_worker(
        const std::string& binary_name, const std::string& log_name,
        const std::vector<std::string>& extra = {},
        const std::map<std::string, std::string>& env = {}) const;
    /// Starts executable `binary_name` with exactly `args`; it logs to `<log_name>.log` in the
    /// temp folder.
    [[nodiscard]] std::unique_ptr<WorkerProcess> start_process(
        const std::string& binary_name, const std::string& log_name,
        const std::vector<std::string>& args,
        const std::map<std::string, std::string>& env = {}) const;
    /// Runs `kt <args> --config <kt.yaml>` (stderr folded in).
    [[nodiscard]] CommandResult kt(const std::string& args) const;

private:
    std::string name_;
    std::string postgres_url_;
    std::filesystem::path dir_;
    std::string brokers_;
    std::string control_;
    struct Connection;
    std::unique_ptr<Connection> db_;
    std::vector<std::string> tables_;
    std::vector<std::string> functions_;
    std::vector<std::pair<std::string, std::string>> indexes_;
};

}  // namespace kt::test
