// kt-devbroker: an IN-MEMORY DEVELOPMENT BROKER (librdkafka's mock cluster) for tests and demos.
// Not Kafka: nothing is persisted, everything is lost on exit. Never use it in production.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "lib/app/version.hpp"
#include "lib/error.hpp"
#include "lib/log/log.hpp"
#include "tools/devbroker/control_server.hpp"
#include "tools/devbroker/detail/mock_cluster.hpp"
#include "tools/devbroker/detail/protocol_names.hpp"
#include "tools/devbroker/secure_front.hpp"

namespace {

constexpr const char* kBanner =
    "kt-devbroker: IN-MEMORY DEVELOPMENT BROKER (librdkafka mock cluster). Not for production: "
    "all data is lost on exit.";

void write_ready_file(const std::string& path, const std::string& bootstrap, int control_port,
                      const std::string& secure_bootstrap) {
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << "bootstrap=" << bootstrap << "\n"
            << "control=http://127.0.0.1:" << control_port << "\n";
        if (!secure_bootstrap.empty()) out << "secure_bootstrap=" << secure_bootstrap << "\n";
        out.flush();
        if (!out) throw kt::Error("cannot write ready file " + tmp);
    }
    std::filesystem::rename(tmp, path);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{std::string(kBanner) +
                 "\nRuns Kafka-protocol brokers in this process and a JSON control endpoint for "
                 "creating topics and injecting faults."};
    app.set_version_flag("--version", kt::app::version_line("kt-devbroker"),
                         "print the version and exit");
    int brokers = 1;
    std::vector<std::string> topics;
    int control_port = 0;
    std::string ready_file;
    app.add_option("--brokers", brokers, "Number of mock brokers")->check(CLI::Range(1, 16));
    app.add_option("--topic", topics, "Topic to create at start, NAME:PARTITIONS (repeatable)");
    app.add_option("--control-port", control_port,
                   "Port of the HTTP control endpoint on 127.0.0.1 (0 = a free port)")
        ->check(CLI::Range(0, 65535));
    app.add_option("--ready-file", ready_file,
                   "Written atomically once up: bootstrap=HOST:PORT,... and control=URL "
                   "(and secure_bootstrap=... with a secure front)");
    kt::devbroker::FrontOptions front;
    std::string sasl_plain;
    auto* cert = app.add_option("--tls-cert", front.tls_cert,
                                "Also serve every broker through a TLS front with this PEM "
                                "certificate (chain) file")
                     ->check(CLI::ExistingFile);
    app.add_option("--tls-key", front.tls_key, "PEM private key of --tls-cert")
        ->check(CLI::ExistingFile)
        ->needs(cert);
    cert->needs("--tls-key");
    app.add_option("--sasl-plain", sasl_plain,
                   "Also serve every broker through a front that requires SASL/PLAIN "
                   "USER:PASSWORD (with --tls-cert: SASL_SSL)");
    CLI11_PARSE(app, argc, argv);
    if (!sasl_plain.empty()) {
        const auto colon = sasl_plain.find(':');
        if (colon == std::string::npos || colon == 0) {
            std::fprintf(stderr, "--sasl-plain: expected USER:PASSWORD\n");
            return 2;
        }
        front.sasl_plain = std::pair{sasl_plain.substr(0, colon), sasl_plain.substr(colon + 1)};
    }

    // Block the stop signals before any thread starts, so only sigwait() below receives them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    try {
        std::vector<std::pair<std::string, int>> specs;
        for (const auto& spec : topics) {
            auto parsed = kt::devbroker::parse_topic_spec(spec);
            if (!parsed) {
                std::fprintf(stderr, "--topic %s: expected NAME:PARTITIONS\n", spec.c_str());
                return 2;
            }
            specs.push_back(std::move(*parsed));
        }

        kt::devbroker::MockCluster cluster(brokers);
        for (const auto& [name, partitions] : specs) {
            const auto err = cluster.create_topic(name, partitions);
            if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                throw kt::Error("cannot create topic " + name + ": " + rd_kafka_err2str(err));
            }
        }
        kt::devbroker::ControlServer control(cluster, control_port);
        const std::string bootstrap = cluster.bootstrap();
        std::unique_ptr<kt::devbroker::SecureFront> secure;
        if (!front.tls_cert.empty() || front.sasl_plain) {
            secure = std::make_unique<kt::devbroker::SecureFront>(bootstrap, front);
            kt::log::info("kt-devbroker: {}{}{} front on {}", front.tls_cert.empty() ? "" : "TLS",
                          !front.tls_cert.empty() && front.sasl_plain ? " + " : "",
                          front.sasl_plain ? "SASL/PLAIN" : "", secure->bootstrap());
        }
        kt::log::warn("{} bootstrap={} control=http://127.0.0.1:{}", kBanner, bootstrap,
                      control.port());
        if (!ready_file.empty()) {
            write_ready_file(ready_file, bootstrap, control.port(),
                             secure ? secure->bootstrap() : "");
        }
        std::printf("%s\n", bootstrap.c_str());
        std::fflush(stdout);

        int signal_number = 0;
        sigwait(&stop_signals, &signal_number);
        kt::log::info("kt-devbroker: signal {} received, stopping (in-memory data discarded)",
                      signal_number);
        if (secure) secure->stop();
        control.stop();
    } catch (const std::exception& e) {
        kt::log::error("kt-devbroker: {}", e.what());
        return 1;
    }
    return 0;
}
