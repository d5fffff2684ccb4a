#include "cmd/kt/check.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "lib/app/options_from_config.hpp"
#include "lib/config/loader.hpp"
#include "lib/config/redact.hpp"
#include "lib/es/curl_transport.hpp"
#include "lib/es/engine_version.hpp"
#include "lib/es/index_admin.hpp"
#include "lib/es/options.hpp"
#include "lib/kafka/admin.hpp"
#include "lib/kafka/options.hpp"
#include "lib/pg/capture_setup.hpp"
#include "lib/pg/child_query.hpp"
#include "lib/pg/error.hpp"
#include "lib/pg/pinger.hpp"
#include "lib/pg/row_loader.hpp"
#include "lib/pg/scan_source.hpp"
#include "workers/capture/plan.hpp"

namespace kt::cmd {

namespace {

/// One line on stderr, after what stdout holds so far (the lines keep their order in a pipe).
void print_problem(const std::string& line) {
    std::fflush(stdout);
    fmt::print(stderr, "{}\n", line);
}

/// How one probe went.
enum class Outcome {
    kOk,
    kFailed,       ///< the server answered, but with a problem (e.g. a query's table is missing)
    kUnreachable,  ///< no connection to the server (pg::ConnectionError)
};

/// Runs one connectivity probe; prints `ok` or the problem (secrets redacted).
Outcome probe(const std::string& what, const std::function<std::string()>& fn) {
    try {
        const std::string detail = fn();
        fmt::print("{}: ok{}{}\n", what, detail.empty() ? "" : " (",
                   detail.empty() ? "" : detail + ")");
        return Outcome::kOk;
    } catch (const pg::ConnectionError& e) {
        print_problem(fmt::format("{}: {}", what, config::redact(e.what())));
        return Outcome::kUnreachable;
    } catch (const std::exception& e) {
        print_problem(fmt::format("{}: {}", what, config::redact(e.what())));
        return Outcome::kFailed;
    }
}

/// One check of a config entry that needs PostgreSQL.
struct EntryCheck {
    std::string what;
    std::function<void()> run;
};

/// The `capture:` section against the database: every index's tables traced (or mapped by
/// hand), child tables with their old rows, wal_level, and the slot (an inactive one holds WAL).
bool check_capture(const config::Config& cfg) {
    const config::CaptureConfig& capture = *cfg.capture;
    const std::string& url = cfg.postgres.url;
    std::optional<workers::capture::CapturePlan> plan;
    bool ok = probe("capture: indexes", [&] {
                  plan = workers::capture::capture_plan(cfg, [&](const config::IndexConfig& ix) {
                      return ix.query.empty() ? pg::RowLoader(app::pg_source(ix), url).sql() : ix.query;
                  });
                  return fmt::format("{} table(s) feed them", plan->tables.size());
              }) == Outcome::kOk;
    if (plan) {
        for (const auto& refusal : plan->refusals) print_problem("capture: " + refusal);
        ok &= plan->refusals.empty();
        for (const auto& table : pg::tables_without_full_identity(url, plan->need_old_rows)) {
            print_problem(fmt::format(
                "capture: table {}: a child table's deletes must name the document they leave: "
                "ALTER TABLE {} REPLICA IDENTITY FULL",
                table, table));
            ok = false;
        }
    }
    std::string warning;
    ok &= probe("capture: slot " + capture.slot, [&] {
              if (const std::string level = pg::wal_level(url); level != "logical") {
                  throw Error(fmt::format("wal_level is {}; kt-capture needs logical (set it in "
                                          "postgresql.conf and restart PostgreSQL)",
                                          level));
              }
              const auto state = pg::slot_state(url, capture.slot);
              if (!state) {
                  warning = "does not exist yet: kt capture init creates it";
                  return std::string("not created yet");
              }
              if (!state->active) {
                  warning = fmt::format(
                      "nothing reads it and it holds {} MiB of WAL: start kt-capture, or remove "
                      "it with kt capture drop",
                      state->lag_bytes / (1024 * 1024));
              }
              return fmt::format("{}, at {}", state->active ? "streaming" : "inactive",
                                 state->confirmed_flush);
          }) == Outcome::kOk;
    if (!warning.empty()) print_problem("capture: slot " + capture.slot + ": warning: " + warning);
    return ok;
}

}  // namespace

std::string skipped_checks_line(std::size_t skipped, std::string_view service) {
    return fmt::format("{} check(s) skipped: {} unreachable", skipped, service);
}

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
    // kt reindex, kt verify and kt capture init read every row: an index whose rows no query
    // can read is a problem found without connecting.
    bool ok = true;
    for (const auto& ix : cfg.indexes) {
        const pg::IndexSource source = app::pg_source(ix);
        if (const pg::ScanChoice scan = pg::choose_scan(source);
            scan.origin == pg::ScanOrigin::kRefused) {
            print_problem(pg::scan_refusal_message(source, scan));
            ok = false;
        }
    }
    if (offline) return ok ? 0 : 1;

    ok &= probe("kafka " + cfg.kafka.brokers, [&] {
        kafka::Options options = app::kafka_options(cfg.kafka);
        options.quiet = true;  // a failure is reported once, below, with librdkafka's last error
        kafka::Admin admin(options);
        const auto cluster = admin.describe_cluster(std::chrono::seconds(10));
        return fmt::format("{}, {} broker(s), {} topic(s)",
                           cluster.cluster_id.empty() ? "no cluster id"
                                                      : "cluster " + cluster.cluster_id,
                           cluster.brokers, cluster.topics.size());
    }) == Outcome::kOk;
    const std::string es_what = "elasticsearch " + config::redact(cfg.elasticsearch.url);
    std::string es_warning;
    ok &= probe(es_what, [&] {
        es::IndexAdmin admin(std::make_unique<es::CurlTransport>(
            app::es_options(cfg.elasticsearch)));
        const auto info = admin.root();
        const auto verdict = es::judge_engine(info.distribution, info.version);
        es_warning = verdict.warning;
        return verdict.product;
    }) == Outcome::kOk;
    // A version kt is not tested with may still work: warn, do not fail.
    if (!es_warning.empty()) print_problem(es_what + ": warning: " + es_warning);

    std::vector<EntryCheck> entries;
    for (const auto& ix : cfg.indexes) {
        entries.push_back({fmt::format("postgres: indexes.{}", ix.name), [&cfg, &ix] {
                               pg::RowLoader loader(app::pg_source(ix), cfg.postgres.url);
                               loader.check();
                           }});
    }
    for (const auto& cascade : cfg.cascades) {
        entries.push_back({fmt::format("postgres: cascades.{}", cascade.name), [&cfg, &cascade] {
                               pg::ChildQuery query(app::pg_source(cascade), cfg.postgres.url);
                               query.check();
                           }});
    }
    // A server kt cannot connect to is one problem, said once with its cause: the entries'
    // queries cannot run then, and each would only repeat it.
    Outcome postgres = probe("postgres", [&] {
        pg::Pinger pinger(cfg.postgres.url, std::chrono::seconds(10));
        return "PostgreSQL " + pg::server_version_name(pinger.server_version());
    });
    ok &= postgres == Outcome::kOk;
    std::size_t skipped = 0;
    for (const EntryCheck& entry : entries) {
        if (postgres == Outcome::kUnreachable) {
            ++skipped;
            continue;
        }
        const Outcome outcome = probe(entry.what, [&] {
            entry.run();
            return std::string();
        });
        ok &= outcome == Outcome::kOk;
        if (outcome == Outcome::kUnreachable) postgres = outcome;
    }
    if (skipped > 0) print_problem("postgres: " + skipped_checks_line(skipped, "PostgreSQL"));
    if (cfg.capture && postgres != Outcome::kUnreachable) ok &= check_capture(cfg);
    return ok ? 0 : 1;
}

}  // namespace kt::cmd
