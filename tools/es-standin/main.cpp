// kt-es-standin: an in-memory Elasticsearch stand-in for development and tests. Not Elasticsearch.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "lib/app/version.hpp"
#include "tools/es-standin/http_server.hpp"
#include "tools/es-standin/router.hpp"

namespace {

void write_ready_file(const std::string& path, const std::string& scheme, int port) {
    const std::string temp = path + ".tmp";
    {
        std::ofstream out(temp, std::ios::trunc);
        out << "url=" << scheme << "://127.0.0.1:" << port << "\n";
        if (!out) throw kt::Error("cannot write ready file " + temp);
    }
    if (std::rename(temp.c_str(), path.c_str()) != 0) {
        throw kt::Error("cannot rename ready file to " + path);
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "kt-es-standin: an in-memory Elasticsearch stand-in for development and tests.\n"
        "It is NOT Elasticsearch: it imitates the subset of Elasticsearch 8's REST API that kt "
        "uses, keeps everything in memory, and is never meant for production."};
    app.set_version_flag("--version", kt::app::version_line("kt-es-standin"),
                         "print the version and exit");
    std::string host = "127.0.0.1";
    int port = 9200;
    std::string ready_file;
    app.add_option("--host", host, "Address to listen on")->capture_default_str();
    app.add_option("--port", port, "Port to listen on; 0 picks a free port")->capture_default_str();
    app.add_option("--ready-file", ready_file,
                   "Once listening, atomically write `url=http://127.0.0.1:PORT` (https with "
                   "--tls-cert) to this file");
    kt::tools::standin::ServerSecurity security;
    std::string basic_auth;
    std::string api_key;
    auto* cert = app.add_option("--tls-cert", security.tls_cert,
                                "Serve HTTPS with this PEM certificate (chain) file")
                     ->check(CLI::ExistingFile);
    app.add_option("--tls-key", security.tls_key, "PEM private key of --tls-cert")
        ->check(CLI::ExistingFile)
        ->needs(cert);
    cert->needs("--tls-key");
    app.add_option("--basic-auth", basic_auth,
                   "Require HTTP basic auth USER:PASSWORD (401 security_exception otherwise)");
    app.add_option("--api-key", api_key,
                   "Require `Authorization: ApiKey KEY` (with --basic-auth: either one)");
    CLI11_PARSE(app, argc, argv);
    if (!basic_auth.empty()) {
        if (!kt::tools::standin::parse_basic_auth(basic_auth)) {
            std::cerr << "--basic-auth: expected USER:PASSWORD with a non-empty user" << std::endl;
            return 2;
        }
        security.auth.basic_auth = basic_auth;
    }
    if (!api_key.empty()) security.auth.api_key = api_key;

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    try {
        kt::tools::standin::Router router;
        kt::tools::standin::HttpServer server(router, host, port, security);
        const std::string scheme = security.tls() ? "https" : "http";
        server.start();
        std::cerr << fmt::format(
                         "kt-es-standin: Elasticsearch stand-in for development and tests (NOT "
                         "Elasticsearch), behaving like {} subset, in memory only, listening on "
                         "{}://{}:{}{}",
                         kt::tools::standin::kEsVersion, scheme, host, server.port(),
                         security.auth.enabled() ? " (credentials required)" : "")
                  << std::endl;
        if (!ready_file.empty()) write_ready_file(ready_file, scheme, server.port());
        int received = 0;
        sigwait(&signals, &received);
        std::cerr << "kt-es-standin: stopping on signal " << received << std::endl;
        server.stop();
    } catch (const std::exception& error) {
        std::cerr << "kt-es-standin: " << error.what() << std::endl;
        return 1;
    }
    return 0;
}
