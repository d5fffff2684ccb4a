#include "cmd/kt/check.hpp"

#include <fmt/format.h>

#include <chrono>
#include <functional>
#include <memory>

#include "lib/config/loader.hpp"
#include "lib/config/redact.hpp"
#include "lib/es/curl_transport.hpp"
#include "lib/es/index_admin.hpp"
#include "lib/es/options.hpp"
#include "lib/kafka/admin.hpp"
#include "lib/kafka/options.hpp"
#include "lib/pg/child_query.hpp"
#include "lib/pg/row_loader.hpp"

namespace kt::cmd {

namespace {

/// Runs one connectivity probe; prints `ok` or the problem (secrets redacted).
bool probe(const std::string& what, const std::function<std::string()>& fn) {
    try {
        const std::string detail = fn();
        fmt::print("{}: ok{}{}\n", what, detail.empty() ? "" : " (",
                   detail.empty() ? "" : detail + ")");
        return true;
    } catch (const std::exception& e) {
        fmt::print(stderr, "{}: {}\n", what, config::redact(e.what()));
        return false;
    }
}

}  // namespace

std::optional<config::Config> load_config_or_report(const std::string& config_path) {
    try {
        return config::load_file(config_path);
    } catch (const config::ConfigError& e) {
        for (const auto& line : e.lines()) fmt::print(stderr, "{}\n", line);
        fmt::print(stderr, "config {}: {} problem(s)\n", config_path, e.problems().size());
        return std::nullopt;
    }
}

int run_check(const std::string& config_path, bool offline) {
    const auto loaded = load_config_or_report(config_path);
    if (!loaded) return 2;
    const config::Config& cfg = *loaded;
    fmt::print("config {}: ok ({} index(es), {} delayer(s), {} cascade(s))\n", config_path,
               cfg.indexes.size(), cfg.delayers.size(), cfg.cascades.size());
    if (offline) return 0;

    bool ok = true;
    ok &= probe("kafka " + cfg.kafka.brokers, [&] {
        kafka::Admin admin(kafka::Options::from_config(cfg.kafka));
        const auto topics = admin.list_topics(std::chrono::seconds(10));
        return fmt::format("{} topic(s)", topics.size());
    });
    ok &= probe("elasticsearch " + config::redact(cfg.elasticsearch.url), [&] {
        es::IndexAdmin admin(std::make_unique<es::CurlTransport>(
            es::Options::from_config(cfg.elasticsearch, cfg.elasticsearch.compression)));
        const auto info = admin.root();
        return fmt::format("version {}", info.version);
    });
    for (const auto& ix : cfg.indexes) {
        ok &= probe(fmt::format("postgres: indexes.{}", ix.name), [&] {
            pg::RowLoader loader(ix, cfg.postgres.url);
            loader.check();
            return std::string();
        });
    }
    for (const auto& cascade : cfg.cascades) {
        ok &= probe(fmt::format("postgres: cascades.{}", cascade.name), [&] {
            pg::ChildQuery query(cascade, cfg.postgres.url);
            query.check();
            return std::string();
        });
    }
    return ok ? 0 : 1;
}

}  // namespace kt::cmd
