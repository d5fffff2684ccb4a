#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include "tools/es-standin/api_error.hpp"

namespace kt::tools::standin {

/// Faults injected through `PUT /_standin/faults`.
struct FaultConfig {
    double bulk_reject_fraction = 0;  ///< whole `_bulk` requests answered 429
    double item_reject_fraction = 0;  ///< bulk items answered 429 (others succeed)
    int64_t latency_ms = 0;           ///< added to every request
    bool unavailable = false;         ///< 503 for everything except `/_standin/*`
    double reset_fraction = 0;        ///< connections closed without an answer
    std::optional<uint64_t> seed;     ///< deterministic decisions when set

    /// Parses the request body; throws ApiError 400 for unknown keys or out-of-range values.
    static FaultConfig from_json(const Json& body);
    /// The configuration as JSON.
    [[nodiscard]] Json to_json() const;
};

/// Decides which requests and items fail. Thread-safe.
class FaultInjector {
public:
    /// Replaces the configuration (and reseeds when a seed is given).
    void configure(const FaultConfig& config);
    /// Current configuration.
    [[nodiscard]] FaultConfig config() const;
    /// True with probability `bulk_reject_fraction`.
    bool reject_bulk();
    /// True with probability `item_reject_fraction`.
    bool reject_item();
    /// True with probability `reset_fraction`.
    bool reset_connection();

private:
    bool chance(double fraction);

    mutable std::mutex mutex_;
    FaultConfig config_;
    std::mt19937_64 rng_{std::random_device{}()};
};

/// Counters for `GET /_standin/stats`. Thread-safe.
class StandinStats {
public:
    /// Counts one `_bulk` request (rejected or not).
    void bulk_request(bool rejected);
    /// Counts one bulk item outcome (`created`, `updated`, `rejected`, `error`, ...).
    void bulk_item(const std::string& outcome);
    /// Counts one document written into `index`.
    void doc_written(const std::string& index);
    /// Counts a connection reset, a 503, a 401, or any request.
    void connection_reset() { ++resets_; }
    void unavailable() { ++unavailable_; }
    void unauthorized() { ++unauthorized_; }
    void request() { ++requests_; }
    /// The counters as JSON.
    [[nodiscard]] Json to_json() const;

private:
    mutable std::mutex mutex_;
    int64_t bulk_requests_ = 0;
    int64_t bulk_rejected_ = 0;
    std::map<std::string, int64_t> items_;
    std::map<std::string, int64_t> docs_;
    std::atomic<int64_t> resets_{0};
    std::atomic<int64_t> unavailable_{0};
    std::atomic<int64_t> unauthorized_{0};
    std::atomic<int64_t> requests_{0};
};

/// The whole-request 429 Elasticsearch answers when its write queue is full.
ApiError rejected_execution();

}  // namespace kt::tools::standin
