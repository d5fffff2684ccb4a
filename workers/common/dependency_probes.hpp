#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "lib/config/config.hpp"
#include "lib/http/readiness.hpp"

namespace kt::workers {

/// Which services a worker needs reachable to be ready (SPEC.md, /readyz).
struct Dependencies {
    /// Kafka is asked for this topic's metadata (reachability only: a missing topic passes).
    std::string kafka_topic;
    bool postgres = false;
    bool elasticsearch = false;
};

/// One probe per dependency, each bounded by `timeout`, with secrets redacted from its errors:
/// Kafka metadata, PostgreSQL `SELECT 1`, Elasticsearch's root endpoint. Each probe keeps its
/// client between calls and is meant for one ReadinessProber thread.
[[nodiscard]] std::vector<http::Probe> dependency_probes(
    const config::Config& config, const Dependencies& needs,
    std::chrono::seconds timeout = std::chrono::seconds(3));

}  // namespace kt::workers
