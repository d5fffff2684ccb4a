#pragma once

#include <string>
#include <string_view>

#include "lib/app/publisher.hpp"
#include "lib/config/config.hpp"
#include "lib/es/options.hpp"
#include "lib/kafka/options.hpp"
#include "lib/pg/source.hpp"

// The one place where the config file's sections become the libraries' own option structs:
// lib/kafka, lib/pg and lib/es know nothing of the config.
namespace kt::app {

/// Kafka client options for `config` with `group_id` (may be empty for producers and admin).
[[nodiscard]] kafka::Options kafka_options(const config::KafkaConfig& config,
                                           std::string group_id = {});

/// The consumer group of one worker entry: `<group_prefix>.<worker>.<name>`.
[[nodiscard]] std::string group_id(const config::KafkaConfig& config, std::string_view worker,
                                   std::string_view name);

/// Elasticsearch client options for `config` (compression as `elasticsearch.compression`).
[[nodiscard]] es::Options es_options(const config::ElasticsearchConfig& config);

/// Where the rows of `index` come from.
[[nodiscard]] pg::IndexSource pg_source(const config::IndexConfig& index);

/// The association query of `cascade`.
[[nodiscard]] pg::CascadeSource pg_source(const config::CascadeConfig& cascade);

/// Kafka settings and delay topics of a kt config file (see Config::first_delay_stage).
[[nodiscard]] PublisherOptions publisher_options(const config::Config& config);

}  // namespace kt::app
