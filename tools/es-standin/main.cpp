// kt-es-standin: an in-memory Elasticsearch stand-in for development and tests. Not Elasticsearch.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "tools/es-standin/http_server.hpp"
#include "tools/es-standin/router.hpp"

namespace {

void write_ready_file(const std::string& path, int port) {
    const std::string temp = path + ".tmp";
    {
        std::ofstream out(temp, std::ios::trunc);
        out << "url=http://127.0.0.1:" << port << "\n";
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
    std::string host = "127.0.0.1";
    int port = 9200;
    std::string ready_file;
    app.add_option("--host", host, "Address to listen on")->capture_default_str();
    app.add_option("--port", port, "Port to listen on; 0 picks a free port")->capture_default_str();
    app.add_option("--ready-file", ready_file,
                   "Once listening, atomically write `url=http://127.0.0.1:PORT` to this file");
    CLI11_PARSE(app, argc, argv);

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    try {
        kt::tools::standin::Router router;
        kt::tools::standin::HttpServer server(router, host, port);
        server.start();
        std::cerr << fmt::format(
                         "kt-es-standin: Elasticsearch stand-in for development and tests (NOT "
                         "Elasticsearch), behaving like {} subset, in memory only, listening on "
                         "http://{}:{}",
                         kt::tools::standin::kEsVersion, host, server.port())
                  << std::endl;
        if (!ready_file.empty()) write_ready_file(ready_file, server.port());
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
