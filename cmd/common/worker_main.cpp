#include "cmd/common/worker_main.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <thread>

#include <fmt/ranges.h>

#include "lib/app/version.hpp"
#include "lib/config/duration.hpp"
#include "lib/config/loader.hpp"
#include "lib/config/redact.hpp"
#include "lib/error.hpp"
#include "lib/http/readiness.hpp"
#include "lib/http/status_report.hpp"
#include "lib/http/status_server.hpp"
#include "lib/log/log.hpp"
#include "lib/metrics/process.hpp"

namespace kt::cmd {

namespace {

/// Every check of `loops`, combined: ok when all are, details joined.
http::Check combine(const std::vector<std::unique_ptr<workers::WorkerLoop>>& loops,
                    const std::function<http::Check(workers::WorkerLoop&)>& check) {
    http::Check result;
    for (const auto& loop : loops) {
        const http::Check c = check(*loop);
        if (!c.ok) {
            result.ok = false;
            result.detail += (result.detail.empty() ? "" : "; ") + c.detail;
        }
    }
    return result;
}

/// CLI11's help, showing a default only where it tells the reader something (see
/// add_version_and_defaults).
class HelpFormatter : public CLI::Formatter {
public:
    std::string make_option_opts(const CLI::Option* opt) const override {
        std::string out = CLI::Formatter::make_option_opts(opt);
        const std::string& value = opt->get_default_str();
        // An empty list ("[]") says nothing either.
        if (value.empty() || (value != "[]" && !states_default(*opt) && accepts(*opt, value))) {
            return out;
        }
        const std::string shown = "=" + value;
        if (const auto at = out.find(shown); at != std::string::npos) out.erase(at, shown.size());
        return out;
    }

private:
    static bool states_default(const CLI::Option& opt) {
        return opt.get_description().find("default") != std::string::npos;
    }

    /// Whether every check of `opt` accepts `value`.
    static bool accepts(const CLI::Option& opt, const std::string& value) {
        // CLI11 2.1 offers an option's validators only through a non-const accessor; they are
        // only read here.
        auto& option = const_cast<CLI::Option&>(opt);
        for (int i = 0;; ++i) {
            CLI::Validator* check = nullptr;
            try {
                check = option.get_validator(i);
            } catch (const CLI::OptionNotFound&) {
                return true;
            }
            std::string copy = value;
            if (!(*check)(copy).empty()) return false;
        }
    }
};

}  // namespace

void add_version_and_defaults(CLI::App& app, const std::string& program) {
    app.set_version_flag("--version", app::version_line(program), "print the version and exit");
    app.option_defaults()->always_capture_default();
    app.formatter(std::make_shared<HelpFormatter>());
}

int run_worker_main(int argc, char** argv, const WorkerSpec& spec) {
    std::string config_path = config::default_config_path();
    std::vector<std::string> names;
    int metrics_port = 9464;
    std::string stall_text = "2m";
    std::string log_format = "text";
    std::string log_level = "info";
    CLI::App app{spec.description};
    add_version_and_defaults(app, spec.program);
    app.add_option("--config", config_path,
                   "config file (default $KT_CONFIG, then config/kt.yaml)");
    app.add_option(spec.name_option, names,
                   "entry of " + spec.section + " to serve (repeatable; default: every one)");
    app.add_option("--metrics-port", metrics_port,
                   "port of /metrics, /healthz, /readyz, /status.json and the status page at / "
                   "(0: any free port)")
        ->check(CLI::Range(0, 65535));
    app.add_option("--stall-timeout", stall_text,
                   "/healthz turns red when there is lag but no commit for this long (e.g. 30s)");
    app.add_option("--log-format", log_format, "text or json")
        ->check(CLI::IsMember({"text", "json"}));
    app.add_option("--log-level", log_level, "debug, info, warn or error")
        ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    log::configure(log::parse_format(log_format), log::parse_level(log_level));
    const auto stall_timeout = config::parse_duration(stall_text);
    if (!stall_timeout || stall_timeout->count() <= 0) {
        log::error("--stall-timeout: bad duration '{}' (write e.g. 30s, 2m)", stall_text);
        return 2;
    }
    std::stop_source stop = install_stop_signals();

    config::Config config;
    try {
        config = config::load_file(config_path);
    } catch (const config::ConfigError& e) {
        for (const auto& line : e.lines()) log::error("{}", line);
        return 2;
    }
    const std::vector<std::string> all = spec.names(config);
    if (names.empty()) names = all;
    for (const auto& name : names) {
        if (std::find(all.begin(), all.end(), name) == all.end()) {
            log::error("{} {}: no such entry in {} of {}", spec.name_option, name, spec.section,
                       config_path);
            return 2;
        }
    }
    if (names.empty()) {
        log::error("{}: nothing to serve (the {} section is empty)", config_path, spec.section);
        return 2;
    }

    metrics::Registry registry;
    metrics::register_process_metrics(registry, KT_VERSION);
    std::vector<std::unique_ptr<workers::WorkerLoop>> loops;
    std::unique_ptr<http::ReadinessProber> prober;
    std::unique_ptr<http::StatusServer> status;
    try {
        for (const auto& name : names) loops.push_back(spec.make(config, name, registry));
        prober = std::make_unique<http::ReadinessProber>(
            workers::dependency_probes(config, spec.dependencies(config, names)),
            std::chrono::seconds(5));
        status = std::make_unique<http::StatusServer>(
            http::StatusServerOptions{"0.0.0.0", metrics_port}, registry,
            [&loops, stall = *stall_timeout] {
                return combine(loops, [stall](workers::WorkerLoop& l) { return l.health(stall); });
            },
            [&loops, &prober] {
                http::Check ready = prober->check();
                const http::Check own =
                    combine(loops, [](workers::WorkerLoop& l) { return l.readiness(); });
                if (!own.ok) {
                    ready.detail = own.detail + (ready.ok ? "" : "; " + ready.detail);
                    ready.ok = false;
                }
                return ready;
            },
            [&loops, &spec] {
                http::StatusReport report;
                report.source = spec.program;
                report.generated_at = std::chrono::duration<double>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count();
                for (const auto& loop : loops) report.groups.push_back(loop->status());
                return http::to_json(report);
            });
        log::info("{} serving {} of {}; metrics on port {}", spec.program, fmt::join(names, ", "),
                  spec.section, status->port());
    } catch (const Error& e) {
        log::error("cannot start: {}", config::redact(e.what()));
        return 1;
    }

    std::atomic<int> exit_code{0};
    {
        std::vector<std::jthread> threads;
        for (auto& loop : loops) {
            threads.emplace_back([&loop, &stop, &exit_code, &spec] {
                try {
                    loop->run(stop.get_token());
                } catch (const std::exception& e) {
                    log::error("{} loop failed: {}", spec.program, config::redact(e.what()));
                    exit_code = 1;
                    stop.request_stop();
                }
            });
        }
    }
    status->stop();
    status.reset();
    prober.reset();
    loops.clear();
    log::info("{} stopped", spec.program);
    return exit_code.load();
}

std::stop_source install_stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::stop_source source;
    std::thread([set, source]() mutable {
        int sig = 0;
        sigwait(&set, &sig);
        log::info("received {}, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        source.request_stop();
    }).detach();
    return source;
}

}  // namespace kt::cmd
