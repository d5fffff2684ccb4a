#include "lib/kafka/detail/conf.hpp"

#include <string_view>

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <optional>
#include <map>
#include <mutex>
#include <string>

#include "lib/error.hpp"
#include "lib/kafka/detail/log_line.hpp"
#include "lib/log/log.hpp"
#include "lib/log/repeat_filter.hpp"

namespace kt::kafka::detail {

namespace {

void set_property(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
    std::array<char, 512> errstr{};
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr.data(), errstr.size()) !=
        RD_KAFKA_CONF_OK) {
        // librdkafka's message may quote the value: drop it for secrets, whatever the name.
        std::string reason = redact(errstr.data(), value);
        throw Error(fmt::format("kafka.properties: cannot set '{}': {}", name, reason));
    }
}

/// The latest error-level log line per client name (librdkafka's names are never reused within
/// a process). Bounded: a process that makes many clients keeps only recent ones.
struct LoggedErrors {
    static constexpr std::size_t kMaxClients = 64;
    std::mutex mutex;
    std::map<std::string, std::string, std::less<>> by_client;
};

LoggedErrors& logged_errors() {
    static LoggedErrors errors;
    return errors;
}

void remember_error(const rd_kafka_t* rk, const char* message) {
    if (rk == nullptr) return;
    auto& errors = logged_errors();
    const std::lock_guard lock(errors.mutex);
    if (errors.by_client.size() >= LoggedErrors::kMaxClients &&
        errors.by_client.find(rd_kafka_name(rk)) == errors.by_client.end()) {
        errors.by_client.clear();
    }
    errors.by_client[rd_kafka_name(rk)] = std::string(without_thread_prefix(message));
}

/// librdkafka's notices and informational lines are debug in kt: by default only its warnings
/// and errors show.
log::Level level_of(int syslog_level) {
    if (syslog_level <= 3) return log::Level::kError;
    if (syslog_level == 4) return log::Level::kWarn;
    return log::Level::kDebug;
}

/// How long the same librdkafka line (per client) stays unwritten after it was written, e.g.
/// while a broker is unreachable and every reconnect says so again.
constexpr std::chrono::seconds kRepeatPeriod{30};

/// Writes `message` unless the same line of the same client was written within kRepeatPeriod;
/// notes how many were left out when it is written again.
void write_deduplicated(log::Level level, const rd_kafka_t* rk, std::string_view message,
                        std::initializer_list<log::Field> fields) {
    static std::mutex mutex;
    static log::RepeatFilter filter(kRepeatPeriod);
    const std::string client = rk != nullptr ? rd_kafka_name(rk) : "";
    std::optional<std::size_t> left_out;
    {
        const std::lock_guard lock(mutex);
        left_out = filter.admit(client + '\n' + repeat_key(message),
                                std::chrono::steady_clock::now());
    }
    if (!left_out) return;
    if (*left_out == 0) {
        log::write(level, message, fields);
    } else {
        log::write(level,
                   fmt::format("{} ({} more like it in the last {} s)", message, *left_out,
                               kRepeatPeriod.count()),
                   fields);
    }
}

void on_log(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
    auto kt_level = level_of(level);
    if (kt_level == log::Level::kError) remember_error(rk, message);
    // One config file serves consumers and producers alike: a consumer-only property handed to
    // a producer (or the reverse) is expected, not worth a warning.
    if (std::string_view(facility) == "CONFWARN" &&
        std::string_view(message).find("will be ignored by this") != std::string_view::npos) {
        kt_level = log::Level::kDebug;
    }
    if (!log::enabled(kt_level)) return;
    write_deduplicated(kt_level, rk, message,
                       {{"component", "librdkafka"},
                        {"client", rk != nullptr ? rd_kafka_name(rk) : ""},
                        {"facility", facility}});
}

/// on_log for a quiet client: errors are remembered for kt's own messages, nothing is written.
void on_log_quiet(const rd_kafka_t* rk, int level, const char* /*facility*/, const char* message) {
    if (level_of(level) == log::Level::kError) remember_error(rk, message);
}

void on_error(rd_kafka_t* rk, int err, const char* reason, void* /*opaque*/) {
    const auto code = static_cast<rd_kafka_resp_err_t>(err);
    const auto kt_level = code == RD_KAFKA_RESP_ERR__FATAL ? log::Level::kError : log::Level::kWarn;
    if (!log::enabled(kt_level)) return;
    write_deduplicated(kt_level, rk, reason,
                       {{"component", "librdkafka"},
                        {"client", rd_kafka_name(rk)},
                        {"error", rd_kafka_err2name(code)}});
}

}  // namespace

ConfPtr make_conf(const Options& options, const Defaults& defaults) {
    ConfPtr conf(rd_kafka_conf_new());
    for (const auto& [name, value] : defaults) set_property(conf.get(), name, value);
    set_property(conf.get(), "bootstrap.servers", options.brokers);
    if (!options.group_id.empty()) set_property(conf.get(), "group.id", options.group_id);
    for (const auto& [name, value] : options.properties) set_property(conf.get(), name, value);
    if (options.quiet) {
        rd_kafka_conf_set_log_cb(conf.get(), on_log_quiet);
        rd_kafka_conf_set_error_cb(conf.get(),
                                   [](rd_kafka_t*, int, const char*, void*) { /* reported */ });
    } else {
        rd_kafka_conf_set_log_cb(conf.get(), on_log);
        rd_kafka_conf_set_error_cb(conf.get(), on_error);
    }
    return conf;
}

std::string last_logged_error(const rd_kafka_t* rk) {
    auto& errors = logged_errors();
    const std::lock_guard lock(errors.mutex);
    const auto it = errors.by_client.find(std::string_view(rd_kafka_name(rk)));
    return it == errors.by_client.end() ? std::string() : it->second;
}

HandlePtr make_handle(rd_kafka_type_t type, ConfPtr& conf) {
    std::array<char, 512> errstr{};
    HandlePtr handle(rd_kafka_new(type, conf.get(), errstr.data(), errstr.size()));
    if (!handle) {
        throw Error(fmt::format("cannot create Kafka {}: {}",
                                type == RD_KAFKA_CONSUMER ? "consumer" : "producer",
                                errstr.data()));
    }
    conf.release();  // rd_kafka_new owns it now
    return handle;
}

}  // namespace kt::kafka::detail
