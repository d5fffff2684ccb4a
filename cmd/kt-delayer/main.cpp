// kt-delayer: holds kafka_tools delay envelopes until due, then re-publishes their payloads.
#include <CLI/CLI.hpp>

#include <memory>
#include <thread>

#include "cmd/common/worker_main.hpp"
#include "lib/config/duration.hpp"
#include "lib/config/loader.hpp"
#include "lib/config/redact.hpp"
#include "lib/error.hpp"
#include "lib/http/status_server.hpp"
#include "lib/log/log.hpp"
#include "lib/metrics/registry.hpp"
#include "workers/delayer/delayer.hpp"

int main(int argc, char** argv) {
    kt::cmd::WorkerArgs args;
    args.config_path = kt::config::default_config_path();
    CLI::App app{"kt-delayer: holds delay messages until due, then re-publishes their payloads"};
    app.add_option("--config", args.config_path,
                   "config file (default $KT_CONFIG, then config/kt.yaml)");
    app.add_option("--delayer", args.names,
                   "delayer to serve (repeatable; default: every delayer)");
    app.add_option("--metrics-port", args.metrics_port, "port of /metrics, /healthz, /readyz");
    std::string stall_text = "2m";
    app.add_option("--stall-timeout", stall_text,
                   "/healthz turns red when due envelopes wait but nothing is committed for this "
                   "long");
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
    std::vector<const kt::config::DelayerConfig*> selected;
    if (args.names.empty()) {
        for (const auto& d : config.delayers) selected.push_back(&d);
    } else {
        for (const auto& name : args.names) {
            const auto* d = config.find_delayer(name);
            if (d == nullptr) {
                kt::log::error("--delayer {}: no such delayer in {}", name, args.config_path);
                return 2;
            }
            selected.push_back(d);
        }
    }
    if (selected.empty()) {
        kt::log::error("{}: no delayers configured", args.config_path);
        return 2;
    }

    kt::metrics::Registry registry;
    std::vector<std::unique_ptr<kt::workers::Delayer>> delayers;
    std::unique_ptr<kt::http::StatusServer> status;
    try {
        for (const auto* d : selected) {
            delayers.push_back(std::make_unique<kt::workers::Delayer>(config, *d, registry));
        }
        const auto all = [&delayers](auto check) {
            kt::http::Check result;
            for (auto& delayer : delayers) {
                const kt::http::Check c = check(*delayer);
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
                return all([stall](kt::workers::Delayer& d) { return d.health(stall); });
            },
            [all] { return all([](kt::workers::Delayer& d) { return d.readiness(); }); });
        kt::log::info("kt-delayer serving {} delayer(s); metrics on port {}", delayers.size(),
                      status->port());
    } catch (const kt::Error& e) {
        kt::log::error("cannot start: {}", kt::config::redact(e.what()));
        return 1;
    }

    int exit_code = 0;
    {
        std::vector<std::jthread> threads;
        for (auto& delayer : delayers) {
            threads.emplace_back([&delayer, &stop, &exit_code] {
                try {
                    delayer->run(stop.get_token());
                } catch (const std::exception& e) {
                    kt::log::error("delayer failed: {}", kt::config::redact(e.what()));
                    exit_code = 1;
                    stop.request_stop();
                }
            });
        }
    }
    status->stop();
    status.reset();
    delayers.clear();
    kt::log::info("kt-delayer stopped");
    return exit_code;
}
