#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kt::config {

using Duration = std::chrono::milliseconds;

/// `kafka:` section.
struct KafkaConfig {
    std::string brokers = "localhost:9092";
    std::string group_prefix = "kt";
    /// Passed to librdkafka as-is (security.protocol, sasl.*, ssl.*, session.timeout.ms …).
    std::map<std::string, std::string> properties;
};

/// `postgres:` section.
struct PostgresConfig {
    /// libpq connection URL or keyword string; may hold a password, never print it unredacted.
    std::string url;
};

/// `elasticsearch:` section.
struct ElasticsearchConfig {
    std::string url = "http://localhost:9200";
    std::optional<std::string> username;
    std::optional<std::string> password;
    std::optional<std::string> api_key;
    /// PEM file with the CA that signed the server certificate.
    std::optional<std::string> ca_file;
    Duration timeout{std::chrono::seconds(30)};
    /// gzip request and response bodies: saves network, costs ~1 µs of CPU per document, so
    /// off by default (turn it on when Elasticsearch is across a slow or metered link).
    bool compression = false;
};

/// One entry of `indexes:`. Exactly one of `query` and `table` is set.
struct IndexConfig {
    std::string name;               ///< the alias users search
    std::string topic;              ///< defaults to `name`
    std::string query;              ///< `$1` is a text[] of ids; returns columns id and doc
    std::string table;              ///< `table:` shorthand, doc = the whole row
    std::string scan_query;         ///< with `query`: id and doc of every row, no parameter
    std::string mappings_file;      ///< resolved against the config file's folder; empty when unset
    std::string dead_letter_topic;  ///< defaults to `<topic>.dlq`
    int batch_size = 1000;
    Duration batch_wait{200};
};

/// One entry of `delayers:`; its name is also the delay topic unless `topic` is set.
struct DelayerConfig {
    std::string name;
    std::string topic;  ///< defaults to `name`
    Duration delay{0};
    std::string target;             ///< model topic used when an envelope has no `topic`
    std::string next;               ///< next delayer's name; empty when none
    std::string dead_letter_topic;  ///< defaults to `<topic>.dlq`
};

/// One entry of `cascades:`.
struct CascadeConfig {
    std::string name;
    std::string topic;   ///< parent ids arrive here
    std::string query;   ///< `$1` is a text[] of parent ids; returns child ids (first column)
    std::string target;  ///< child ids are produced here
    std::string dead_letter_topic;  ///< defaults to `<topic>.dlq`
    int batch_size = 1000;
    Duration batch_wait{200};
};

/// The whole validated configuration file.
/// `capture.tables.<table>`: an explicit mapping for a table whose path to an index's ids kt
/// cannot derive from the index's query.
struct CaptureTableConfig {
    std::string table;  ///< as written: `name` or `schema.name`
    std::string index;  ///< the index whose ids `query` returns
    std::string query;  ///< `$1` is a text[] of the table's key values; returns the index's ids
};

/// `capture:`: kt-capture's logical replication slot and publication.
struct CaptureConfig {
    std::string slot = "kt_capture";
    std::string publication = "kt_capture";
    /// How often kt-capture confirms its position to PostgreSQL when idle, and writes a
    /// heartbeat into the WAL of a quiet database so that the slot can move.
    Duration heartbeat{std::chrono::seconds(10)};
    std::vector<CaptureTableConfig> tables;  ///< in file order
};

struct Config {
    std::string path;  ///< file it was loaded from
    KafkaConfig kafka;
    PostgresConfig postgres;
    ElasticsearchConfig elasticsearch;
    std::vector<IndexConfig> indexes;  ///< in file order
    std::vector<DelayerConfig> delayers;
    std::vector<CascadeConfig> cascades;
    std::optional<CaptureConfig> capture;  ///< absent when the file has no `capture:` section

    /// The index with that name, or nullptr.
    [[nodiscard]] const IndexConfig* find_index(const std::string& name) const;
    /// The delayer with that name, or nullptr.
    [[nodiscard]] const DelayerConfig* find_delayer(const std::string& name) const;
    /// The cascade with that name, or nullptr.
    [[nodiscard]] const CascadeConfig* find_cascade(const std::string& name) const;
    /// The first delay stage for model topic `topic`: the first delayer in file order whose
    /// `target` is `topic` and that is no other delayer's `next`; nullptr when none.
    [[nodiscard]] const DelayerConfig* first_delay_stage(const std::string& topic) const;
};

}  // namespace kt::config
