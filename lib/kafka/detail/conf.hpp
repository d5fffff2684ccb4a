#pragma once

#include <map>
#include <string>

#include "lib/kafka/detail/handles.hpp"
#include "lib/kafka/options.hpp"

namespace kt::kafka::detail {

/// librdkafka properties kt sets before the user's: the user's `properties` override them.
using Defaults = std::map<std::string, std::string>;

/// A conf with `defaults`, then bootstrap.servers and group.id (when set), then
/// `options.properties`, and log/error callbacks routed to kt::log. Throws kt::Error naming
/// the property (never its value) when librdkafka rejects one.
[[nodiscard]] ConfPtr make_conf(const Options& options, const Defaults& defaults);

/// The latest error librdkafka logged for the client `rk` (a refused connection, a failed TLS
/// handshake, a SASL authentication failure: what a bare _TRANSPORT or _TIMED_OUT hides), or
/// empty. Thread-safe.
[[nodiscard]] std::string last_logged_error(const rd_kafka_t* rk);

/// Creates the handle, taking ownership of `conf` only on success; throws kt::Error otherwise.
[[nodiscard]] HandlePtr make_handle(rd_kafka_type_t type, ConfPtr& conf);

}  // namespace kt::kafka::detail
