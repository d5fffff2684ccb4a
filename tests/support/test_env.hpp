#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace kt::test {

/// Value of a KT_TEST_* variable set by scripts/test.sh; throws std::runtime_error naming it when
/// unset, so an integration test run without the stack fails loudly instead of passing.
std::string require_env(const char* name);

/// Kafka bootstrap servers of the stack's Kafka, real or kt-devbroker (KT_TEST_KAFKA_BROKERS).
std::string kafka_brokers();
/// True when the stack's Kafka is Apache Kafka (KT_TEST_STACK_KAFKA=kafka), false when it is
/// kt-devbroker (any other value, or unset).
bool stack_runs_real_kafka();
/// Bootstrap servers of the stack's kt-devbroker, which runs beside a real Kafka too
/// (KT_TEST_DEVBROKER_BROKERS).
std::string devbroker_brokers();
/// Control URL of kt-devbroker, e.g. http://127.0.0.1:PORT (KT_TEST_DEVBROKER_CONTROL).
std::string devbroker_control();
/// libpq URL of the throw-away PostgreSQL (KT_TEST_POSTGRES_URL).
std::string postgres_url();
/// Base URL of the stack's search server, OpenSearch, Elasticsearch or kt-es-standin
/// (KT_TEST_ES_URL).
std::string es_url();
/// What the stack's search server is (KT_TEST_STACK_SEARCH): `opensearch`, `elasticsearch` or
/// `standin` (also when unset).
std::string stack_search();
/// Base URL of the stack's kt-es-standin, which runs beside a real search server too
/// (KT_TEST_STANDIN_URL).
std::string standin_url();

/// A name no other test (or earlier run) uses: `<prefix>_<pid>_<counter>_<random>`, lower case.
std::string unique_name(const std::string& prefix);

/// A loopback port nothing listens on (bound once by the kernel's choice, then closed): for a
/// server that is down.
int closed_port();

/// Polls `condition` until it returns true or `timeout` passes; returns the last result.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll = std::chrono::milliseconds(20));

}  // namespace kt::test
