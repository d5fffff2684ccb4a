// Bulk indexing throughput of kt-es-standin over HTTP: N keep-alive client threads send
// 1,000-item bulks of ~300-byte documents. Prints items/s. Usage:
//   es_standin_bench [threads=4] [bulks_per_thread=50] [--gzip]
#include <httplib.h>

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "tools/es-standin/http_server.hpp"
#include "tools/es-standin/router.hpp"

namespace {

constexpr int kItemsPerBulk = 1000;

std::string make_bulk(int thread, int bulk) {
    std::string body;
    body.reserve(kItemsPerBulk * 380);
    const std::string padding(180, 'x');
    for (int i = 0; i < kItemsPerBulk; ++i) {
        const int id = (thread * 1'000'000) + bulk * kItemsPerBulk + i;
        body += fmt::format(R"({{"index":{{"_index":"bench","_id":"{}"}}}})", id);
        body += '\n';
        body += fmt::format(
            R"({{"id":{},"title":"Product number {}","brand":"Brand {}","price":{}.99,"tags":["a","b"],"description":"{}"}})",
            id, id, id % 97, id % 1000, padding);
        body += '\n';
    }
    return body;
}

}  // namespace

int main(int argc, char** argv) {
    const int threads = argc > 1 ? std::atoi(argv[1]) : 4;
    const int bulks = argc > 2 ? std::atoi(argv[2]) : 50;
    const bool gzip = argc > 3 && std::strcmp(argv[3], "--gzip") == 0;

    kt::tools::standin::Router router;
    kt::tools::standin::HttpServer server(router, "127.0.0.1", 0);
    server.start();
    {
        httplib::Client admin("127.0.0.1", server.port());
        admin.Put("/bench", R"({"settings":{"number_of_replicas":0}})", "application/json");
    }
    // Bodies are built before timing so the figure is the server's, not the generator's.
    std::vector<std::vector<std::string>> bodies(static_cast<size_t>(threads));
    size_t doc_bytes = 0;
    for (int t = 0; t < threads; ++t) {
        for (int b = 0; b < bulks; ++b) {
            bodies[static_cast<size_t>(t)].push_back(make_bulk(t, b));
            doc_bytes += bodies[static_cast<size_t>(t)].back().size();
        }
    }
    std::atomic<long> items{0};
    std::atomic<long> failures{0};
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            httplib::Client client("127.0.0.1", server.port());
            client.set_keep_alive(true);
            client.set_compress(gzip);
            for (const auto& body : bodies[static_cast<size_t>(t)]) {
                auto res = client.Post("/_bulk", body, "application/x-ndjson");
                if (!res || res->status != 200 ||
                    res->body.find("\"errors\":false") == std::string::npos) {
                    ++failures;
                    continue;
                }
                items += kItemsPerBulk;
            }
        });
    }
    for (auto& w : workers) w.join();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    server.stop();
    std::cout << fmt::format(
        "es_standin_bench: {} threads x {} bulks x {} items ({:.0f} bytes/item{}): {} items in "
        "{:.2f} s = {:.0f} items/s, {} failed bulks\n",
        threads, bulks, kItemsPerBulk,
        static_cast<double>(doc_bytes) / (threads * bulks * kItemsPerBulk), gzip ? ", gzip" : "",
        items.load(), seconds, static_cast<double>(items.load()) / seconds, failures.load());
    return failures.load() == 0 ? 0 : 1;
}
