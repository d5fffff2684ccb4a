#include "lib/app/options_from_config.hpp"

#include <utility>

namespace kt::app {

kafka::Options kafka_options(const config::KafkaConfig& config, std::string group_id) {
    kafka::Options options;
    options.brokers = config.brokers;
    options.group_id = std::move(group_id);
    options.properties = config.properties;
    return options;
}

std::string group_id(const config::KafkaConfig& config, std::string_view worker,
                     std::string_view name) {
    return kafka::group_id(config.group_prefix, worker, name);
}

es::Options es_options(const config::ElasticsearchConfig& config) {
    es::Options options;
    options.url = config.url;
    options.username = config.username;
    options.password = config.password;
    options.api_key = config.api_key;
    options.ca_file = config.ca_file;
    options.timeout = config.timeout;
    options.compression = config.compression;
    return options;
}

pg::IndexSource pg_source(const config::IndexConfig& index) {
    return pg::IndexSource{index.name, index.query, index.table, index.scan_query};
}

pg::CascadeSource pg_source(const config::CascadeConfig& cascade) {
    return pg::CascadeSource{cascade.name, cascade.query};
}

PublisherOptions publisher_options(const config::Config& config) {
    PublisherOptions options;
    options.kafka = kafka_options(config.kafka);
    for (const auto& index : config.indexes) {
        if (const auto* stage = config.first_delay_stage(index.topic)) {
            options.delay_topics.emplace(index.topic, stage->topic);
        }
    }
    return options;
}

}  // namespace kt::app
