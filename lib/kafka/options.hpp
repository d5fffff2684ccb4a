#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

namespace kt::kafka {

/// What a Consumer, Producer or Admin needs to connect (app::kafka_options builds it from the
/// `kafka:` config section).
struct Options {
    std::string brokers = "localhost:9092";
    /// Consumer group id; only consumers use it.
    std::string group_id;
    /// librdkafka properties passed as-is; they override kt's defaults. Values may be secrets.
    std::map<std::string, std::string> properties;
    /// How long Producer::produce waits for room when librdkafka's local queue is full.
    std::chrono::milliseconds queue_full_timeout{std::chrono::seconds(30)};
    /// librdkafka's own log lines and error events are remembered (the last error goes into
    /// kt's error messages) but not written: for callers that report each failure themselves.
    bool quiet = false;
};

/// The consumer group of one worker entry: `<group_prefix>.<worker>.<name>`.
[[nodiscard]] std::string group_id(std::string_view group_prefix, std::string_view worker,
                                   std::string_view name);

/// True for property names whose value must never be logged or put in an error message.
[[nodiscard]] bool is_secret_property(std::string_view name) noexcept;

/// `text` with every occurrence of `secret` replaced by `***` (no-op for an empty secret).
[[nodiscard]] std::string redact(std::string text, std::string_view secret);

}  // namespace kt::kafka
