#pragma once

#include "tools/es-standin/catalog.hpp"
#include "tools/es-standin/clock.hpp"
#include "tools/es-standin/documents.hpp"
#include "tools/es-standin/faults.hpp"
#include "tools/es-standin/request.hpp"
#include "tools/es-standin/search.hpp"

namespace kt::tools::standin {

/// Version the stand-in reports in `GET /` (it behaves like this Elasticsearch 8 release).
inline constexpr const char* kEsVersion = "8.15.0";

/// The whole stand-in behind the HTTP layer: maps a REST request to its response. Thread-safe.
class Router {
public:
    explicit Router(Clock clock = steady_clock());

    /// Handles one request; never throws (errors become Elasticsearch error responses).
    ApiResponse handle(const ApiRequest& request);
    /// Refreshes indices whose refresh interval passed; called periodically by the server.
    void tick() { catalog_.refresh_due_indices(); }
    /// Fault injection state (read by the HTTP layer for latency, resets and 503s).
    FaultInjector& faults() { return faults_; }
    /// Counters for `/_standin/stats`.
    StandinStats& stats() { return stats_; }

private:
    ApiResponse answer(const ApiRequest& request);
    ApiResponse route(const ApiRequest& request);
    ApiResponse index_admin(const ApiRequest& request);
    ApiResponse alias_api(const ApiRequest& request);
    ApiResponse get_aliases(const std::string& index, const std::string& name, const Params& params,
                            bool head);
    ApiResponse get_indices(const std::string& index, const Params& params, bool head);
    ApiResponse settings_api(const ApiRequest& request, const std::string& index);
    ApiResponse stats_api(const std::string& index);
    ApiResponse cat_indices(const std::string& index, const Params& params);
    ApiResponse refresh(const std::string& index, const Params& params);

    Clock clock_;
    Catalog catalog_;
    FaultInjector faults_;
    StandinStats stats_;
    DocumentService documents_;
    SearchService search_;
};

}  // namespace kt::tools::standin
