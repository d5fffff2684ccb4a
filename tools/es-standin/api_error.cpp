#include "tools/es-standin/api_error.hpp"

#include <utility>

namespace kt::tools::standin {

ApiError::ApiError(int status, std::string type, std::string reason, Json extra)
    : kt::Error(type + ": " + reason),
      status_(status),
      type_(std::move(type)),
      reason_(std::move(reason)),
      extra_(std::move(extra)) {}

Json ApiError::cause() const {
    Json out = Json::object();
    out["type"] = type_;
    out["reason"] = reason_;
    for (const auto& [key, value] : extra_.items()) out[key] = value;
    if (!caused_by_.is_null()) out["caused_by"] = caused_by_;
    return out;
}

Json ApiError::body() const {
    Json error = Json::object();
    Json root = root_cause_.is_null() ? cause() : root_cause_;
    root.erase("caused_by");
    error["root_cause"] = Json::array({root});
    const Json own = cause();
    for (const auto& [key, value] : own.items()) error[key] = value;
    Json out = Json::object();
    out["error"] = error;
    out["status"] = status_;
    return out;
}

ApiError& ApiError::caused_by(const ApiError& inner) {
    caused_by_ = inner.cause();
    root_cause_ = inner.root_cause_.is_null() ? inner.cause() : inner.root_cause_;
    return *this;
}

ApiError ApiError::as_shard_failure(const std::string& index) const {
    Json failure = Json::object();
    failure["shard"] = 0;
    failure["index"] = index;
    failure["node"] = "standin-node";
    failure["reason"] = cause();
    Json extra = Json::object();
    extra["phase"] = "query";
    extra["grouped"] = true;
    extra["failed_shards"] = Json::array({failure});
    ApiError outer(status_, "search_phase_execution_exception", "all shards failed", extra);
    outer.caused_by(*this);
    return outer;
}

ApiError index_not_found(const std::string& name) {
    Json extra = Json::object();
    extra["resource.type"] = "index_or_alias";
    extra["resource.id"] = name;
    extra["index_uuid"] = "_na_";
    extra["index"] = name;
    return ApiError(404, "index_not_found_exception", "no such index [" + name + "]", extra);
}

ApiError illegal_argument(const std::string& reason) {
    return ApiError(400, "illegal_argument_exception", reason);
}

ApiError validation_failed(const std::string& reason) {
    return ApiError(400, "action_request_validation_exception",
                    "Validation Failed: 1: " + reason + ";");
}

ApiError parsing_error(const std::string& reason) {
    return ApiError(400, "parsing_exception", reason);
}

}  // namespace kt::tools::standin
