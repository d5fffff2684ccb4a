#include "tools/es-standin/faults.hpp"

#include <fmt/format.h>

namespace kt::tools::standin {

namespace {

double fraction(const Json& body, const char* key) {
    if (!body.contains(key)) return 0;
    if (!body[key].is_number()) throw illegal_argument(fmt::format("[{}] must be a number", key));
    const double value = body[key].get<double>();
    if (value < 0 || value > 1) {
        throw illegal_argument(fmt::format("[{}] must be between 0 and 1, got [{}]", key, value));
    }
    return value;
}

}  // namespace

FaultConfig FaultConfig::from_json(const Json& body) {
    if (!body.is_object()) throw illegal_argument("faults body must be a JSON object");
    for (const auto& [key, value] : body.items()) {
        if (key != "bulk_reject_fraction" && key != "item_reject_fraction" && key != "latency_ms" &&
            key != "unavailable" && key != "reset_fraction" && key != "seed") {
            throw illegal_argument("unknown fault [" + key + "]");
        }
    }
    FaultConfig out;
    out.bulk_reject_fraction = fraction(body, "bulk_reject_fraction");
    out.item_reject_fraction = fraction(body, "item_reject_fraction");
    out.reset_fraction = fraction(body, "reset_fraction");
    if (body.contains("latency_ms")) {
        if (!body["latency_ms"].is_number_integer() || body["latency_ms"].get<int64_t>() < 0) {
            throw illegal_argument("[latency_ms] must be a non-negative integer");
        }
        out.latency_ms = body["latency_ms"].get<int64_t>();
    }
    if (body.contains("unavailable")) {
        if (!body["unavailable"].is_boolean())
            throw illegal_argument("[unavailable] must be a boolean");
        out.unavailable = body["unavailable"].get<bool>();
    }
    if (body.contains("seed")) {
        if (!body["seed"].is_number_unsigned())
            throw illegal_argument("[seed] must be a non-negative integer");
        out.seed = body["seed"].get<uint64_t>();
    }
    return out;
}

Json FaultConfig::to_json() const {
    Json out = Json::object();
    out["bulk_reject_fraction"] = bulk_reject_fraction;
    out["item_reject_fraction"] = item_reject_fraction;
    out["latency_ms"] = latency_ms;
    out["unavailable"] = unavailable;
    out["reset_fraction"] = reset_fraction;
    if (seed) out["seed"] = *seed;
    return out;
}

void FaultInjector::configure(const FaultConfig& config) {
    std::lock_guard lock(mutex_);
    config_ = config;
    if (config.seed) rng_.seed(*config.seed);
}

FaultConfig FaultInjector::config() const {
    std::lock_guard lock(mutex_);
    return config_;
}

bool FaultInjector::chance(double fraction) {
    if (fraction <= 0) return false;
    if (fraction >= 1) return true;
    std::uniform_real_distribution<double> dist(0.0, 1.0);
    return dist(rng_) < fraction;
}

bool FaultInjector::reject_bulk() {
    std::lock_guard lock(mutex_);
    return chance(config_.bulk_reject_fraction);
}

bool FaultInjector::reject_item() {
    std::lock_guard lock(mutex_);
    return chance(config_.item_reject_fraction);
}

bool FaultInjector::reset_connection() {
    std::lock_guard lock(mutex_);
    return chance(config_.reset_fraction);
}

void StandinStats::bulk_request(bool rejected) {
    std::lock_guard lock(mutex_);
    ++bulk_requests_;
    if (rejected) ++bulk_rejected_;
}

void StandinStats::bulk_item(const std::string& outcome) {
    std::lock_guard lock(mutex_);
    ++items_[outcome];
}

void StandinStats::doc_written(const std::string& index) {
    std::lock_guard lock(mutex_);
    ++docs_[index];
}

Json StandinStats::to_json() const {
    std::lock_guard lock(mutex_);
    Json out = Json::object();
    out["requests"] = requests_.load();
    out["bulk_requests"] = bulk_requests_;
    out["bulk_requests_rejected"] = bulk_rejected_;
    Json items = Json::object();
    for (const auto& [k, v] : items_) items[k] = v;
    out["bulk_items"] = items;
    Json docs = Json::object();
    for (const auto& [k, v] : docs_) docs[k] = v;
    out["docs_written"] = docs;
    out["connections_reset"] = resets_.load();
    out["unavailable_responses"] = unavailable_.load();
    out["unauthorized_responses"] = unauthorized_.load();
    return out;
}

ApiError rejected_execution() {
    return ApiError(429, "es_rejected_execution_exception",
                    "rejected execution of coordinating operation [fault injected by the "
                    "Elasticsearch stand-in]");
}

}  // namespace kt::tools::standin
