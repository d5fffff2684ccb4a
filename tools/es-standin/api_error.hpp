#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "lib/error.hpp"

namespace kt::tools::standin {

/// JSON type used for every request and response body (keeps member order like Elasticsearch).
using Json = nlohmann::ordered_json;

/// An Elasticsearch-style error: HTTP status, `error.type`, `error.reason` and extra members.
class ApiError : public kt::Error {
public:
    ApiError(int status, std::string type, std::string reason, Json extra = Json::object());

    /// HTTP status the error is answered with.
    [[nodiscard]] int status() const noexcept { return status_; }
    /// Elasticsearch error type, e.g. `index_not_found_exception`.
    [[nodiscard]] const std::string& type() const noexcept { return type_; }
    /// Human-readable reason, formatted as Elasticsearch formats it.
    [[nodiscard]] const std::string& reason() const noexcept { return reason_; }
    /// The `{"type","reason",...}` object used inside `error` and in bulk items.
    [[nodiscard]] Json cause() const;
    /// The whole response body `{"error":{...,"root_cause":[...]},"status":N}`.
    [[nodiscard]] Json body() const;
    /// Sets an inner `caused_by` (and makes it the root cause).
    ApiError& caused_by(const ApiError& inner);
    /// Wraps the error as a shard failure: `search_phase_execution_exception`, "all shards failed".
    [[nodiscard]] ApiError as_shard_failure(const std::string& index) const;

private:
    int status_;
    std::string type_;
    std::string reason_;
    Json extra_;
    Json caused_by_;
    Json root_cause_;
};

/// 404 `index_not_found_exception` for `name`.
ApiError index_not_found(const std::string& name);
/// 400 `illegal_argument_exception` with `reason`.
ApiError illegal_argument(const std::string& reason);
/// 400 `action_request_validation_exception` listing one validation failure.
ApiError validation_failed(const std::string& reason);
/// 400 `parsing_exception` with `reason`.
ApiError parsing_error(const std::string& reason);

}  // namespace kt::tools::standin
