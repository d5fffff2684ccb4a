// kt-indexer: Kafka ids -> PostgreSQL rows -> Elasticsearch bulk, at-least-once.
#include <CLI/CLI.hpp>

#include <memory>
#include <thread>

#include "cmd/common/worker_main.hpp"
#include "lib/config/duration.hpp"
#include "lib/config/loader.hpp"
#include "lib/config/redact.hpp"
#include "lib/error.hpp"
#include "lib/http/readiness.hpp"
#include "lib/http/status_server.hpp"
#include "lib/log/log.hpp"
#include "lib/metrics/registry.hpp"
#include "workers/common/dependency_probes.hpp"
#include "workers/indexer/indexer.hpp"

int main(int argc, char** argv) {
    kt::cmd::WorkerArgs args;
    args.config_path = kt::config::default_config_path();
    CLI::App app{"kt-indexer: keeps Elasticsearch indexes equal to their PostgreSQL rows"};
    app.add_option("--config", args.config_path,
                   "config file (default $KT_CONFIG, then config/kt.yaml)");
    app.add_option("--index", args.names, "index to serve (repeatable; default: every index)");
    app.add_option("--metrics-port", args.metrics_port, "port of /metrics, /healthz, /readyz");
    std::string stall_text = "2m";
    app.add_option("--stall-timeout", stall_text,
                   "/healthz turns red when there is lag but no commit for this long");
    app.add_option("--log-format", args.log_format, "text or json")
        ->check(CLI::IsMember({"text", "json"}));
    app.add_option("--log-level", args.log_level, "debug, info, warn or error")
        ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    kt::log::configure(kt::log::parse_format(args.log_format),
                       kt::log::parse_level(args.log_level));
    const auto stall_timeout = kt::config::parse_duration(stall_text);
    if (!stall_timeout || stall_timeout->count() <= 0) {
        kt::log::error("--stall-timeout: bad duration '{}' (write e.g. 30s, 2m)", stall_text);
        return 2;
    }
    std::stop_source stop = kt::cmd::install_stop_signals();

    kt::config::Config config;
    try {
        config = kt::config::load_file(args.config_path);
    } catch (const kt::config::ConfigError& e) {
        for (const auto& line : e.lines()) kt::log::error("{}", line);
        return 2;
    }
    std::vector<const kt::config::IndexConfig*> selected;
    if (args.names.empty()) {
        for (const auto& ix : config.indexes) selected.push_back(&ix);
    } else {
        for (const auto& name : args.names) {
            const auto* ix = config.find_index(name);
            if (ix == nullptr) {
                kt::log::error("--index {}: no such index in {}", name, args.config_path);
                return 2;
            }
            selected.push_back(ix);
        }
    }

    if (selected.empty()) {
        kt::log::error("{}: no index to serve (the indexes section is empty)", args.config_path);
        return 2;
    }

    kt::metrics::Registry registry;
    std::vector<std::unique_ptr<kt::workers::Indexer>> indexers;
    std::unique_ptr<kt::http::ReadinessProber> prober;
    std::unique_ptr<kt::http::StatusServer> status;
    try {
        prober = std::make_unique<kt::http::ReadinessProber>(
            kt::workers::dependency_probes(config, {selected.front()->topic, true, true}),
            std::chrono::seconds(5));
        for (const auto* ix : selected) {
            indexers.push_back(std::make_unique<kt::workers::Indexer>(config, *ix, registry));
        }
        const auto all = [&indexers](auto check) {
            kt::http::Check result;
            for (auto& indexer : indexers) {
                const kt::http::Check c = check(*indexer);
                if (!c.ok) {
                    result.ok = false;
                    result.detail += (result.detail.empty() ? "" : "; ") + c.detail;
                }
            }
            return result;
        };
        status = std::make_unique<kt::http::StatusServer>(
            kt::http::StatusServerOptions{"0.0.0.0", args.metrics_port}, registry,
            [all, stall = *stall_timeout] {
                return all([stall](kt::workers::Indexer& i) { return i.health(stall); });
            },
            [all, &prober] {
                kt::http::Check ready = prober->check();
                const kt::http::Check loops =
                    all([](kt::workers::Indexer& i) { return i.readiness(); });
                if (!loops.ok) {
                    ready.detail = loops.detail + (ready.ok ? "" : "; " + ready.detail);
                    ready.ok = false;
                }
                return ready;
            });
        kt::log::info("kt-indexer serving {} index(es); metrics on port {}", indexers.size(),
                      status->port());
    } catch (const kt::Error& e) {
        kt::log::error("cannot start: {}", kt::config::redact(e.what()));
        return 1;
    }

    int exit_code = 0;
    {
        std::vector<std::jthread> threads;
        for (auto& indexer : indexers) {
            threads.emplace_back([&indexer, &stop, &exit_code] {
                try {
                    indexer->run(stop.get_token());
                } catch (const std::exception& e) {
                    kt::log::error("indexer failed: {}", kt::config::redact(e.what()));
                    exit_code = 1;
                    stop.request_stop();
                }
            });
        }
    }
    status->stop();
    status.reset();
    prober.reset();
    indexers.clear();
    kt::log::info("kt-indexer stopped");
    return exit_code;
}
