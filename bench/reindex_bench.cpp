// reindex_bench: rows per second of the real `kt reindex --parallel N` on a table of --rows rows
// on the development stack, next to PostgreSQL alone streaming the same documents
// (`COPY (scan query) TO STDOUT` into a null sink), the limit a reindex cannot beat, and kt's
// peak resident memory (VmHWM), which stays flat as the table grows because rows stream. A
// report, not a test: exits 0 whatever the figures are, 1 only when it cannot run.
//
//   reindex_bench [--rows 1000000] [--parallel 2] [--kt PATH] [--timeout 900]
#include <libpq-fe.h>
#include <CLI/CLI.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "bench/support.hpp"
#include "lib/error.hpp"
#include "lib/log/log.hpp"
#include "lib/non_copyable.hpp"

namespace kt::bench {
namespace {

constexpr double kTargetShareOfPostgres = 0.5;

struct Args {
    int rows = 1'000'000;
    int parallel = 2;
    std::string kt = KT_BINARY_DIR "/cmd/kt";
    int timeout = 900;

    void add_options(CLI::App& app) {
        app.add_option("--rows", rows, "rows of the table")->check(CLI::Range(1000, 10'000'000));
        app.add_option("--parallel", parallel, "kt reindex --parallel")->check(CLI::Range(1, 16));
        app.add_option("--kt", kt, "kt executable");
        app.add_option("--timeout", timeout, "seconds allowed for the reindex");
    }
};

/// `<name>(id bigint primary key, …)` with `rows` rows of about 150 bytes of JSON each.
class BenchTable : private NonCopyable {
public:
    BenchTable(const Stack& stack, std::string name, int rows)
        : stack_(stack), name_(std::move(name)) {
        pqxx::connection c(stack_.postgres_url);
        pqxx::nontransaction tx(c);
        tx.exec("CREATE TABLE " + name_ +
                " (id bigint PRIMARY KEY, title text NOT NULL, brand text, price numeric(10,2), "
                "stock int, updated_at timestamptz NOT NULL DEFAULT now())");
        tx.exec(fmt::format(
            "INSERT INTO {} (id, title, brand, price, stock) SELECT i, 'product number ' || i, "
            "'brand ' || (i % 500), (i % 10000) / 100.0, i % 97 FROM generate_series(1, {}) i",
            name_, rows));
        tx.exec("ANALYZE " + name_);
    }
    ~BenchTable() {
        try {
            pqxx::connection c(stack_.postgres_url);
            pqxx::nontransaction tx(c);
            tx.exec("DROP TABLE IF EXISTS " + name_);
        } catch (...) {
        }
    }

    [[nodiscard]] const std::string& name() const { return name_; }
    /// The scan kt generates for `table:` (see lib/pg/detail/table_lookup.cpp).
    [[nodiscard]] std::string scan_query() const {
        return fmt::format("SELECT t.\"id\"::text AS id, to_jsonb(t)::text AS doc FROM {} t",
                           name_);
    }

private:
    Stack stack_;
    std::string name_;
};

/// COPY (scan) TO STDOUT through libpq, every byte received and dropped.
Figures run_postgres_alone(const Stack& stack, const BenchTable& table) {
    PGconn* conn = PQconnectdb(stack.postgres_url.c_str());
    if (PQstatus(conn) != CONNECTION_OK) {
        const std::string error = PQerrorMessage(conn);
        PQfinish(conn);
        throw Error("postgres: " + error);
    }
    std::uint64_t bytes = 0;
    const Figures f = measure_here([&] {
        PGresult* result = PQexec(conn, ("COPY (" + table.scan_query() + ") TO STDOUT").c_str());
        if (PQresultStatus(result) != PGRES_COPY_OUT) {
            const std::string error = PQerrorMessage(conn);
            PQclear(result);
            PQfinish(conn);
            throw Error("COPY: " + error);
        }
        PQclear(result);
        std::int64_t rows = 0;
        char* buffer = nullptr;
        int n = 0;
        while ((n = PQgetCopyData(conn, &buffer, 0)) > 0) {
            bytes += static_cast<std::uint64_t>(n);
            ++rows;
            PQfreemem(buffer);
        }
        while ((result = PQgetResult(conn)) != nullptr) PQclear(result);
        return rows;
    });
    PQfinish(conn);
    fmt::print("postgres alone: {} rows, {:.1f} MiB of documents in {:.2f}s\n", f.count,
               static_cast<double>(bytes) / (1 << 20), f.seconds);
    return f;
}

Figures run_reindex(const Stack& stack, const Args& args, const ScratchDir& dir,
                    const BenchTable& table, std::string& summary) {
    create_topic(stack, table.name(), 1);
    const std::string config = (dir.path() / "kt.yaml").string();
    std::ofstream(config) << fmt::format(
        "kafka:\n  brokers: \"{}\"\npostgres:\n  url: \"{}\"\nelasticsearch:\n  url: \"{}\"\n"
        "  timeout: 60s\nindexes:\n  {}:\n    table: {}\n    batch_size: 1000\n",
        stack.brokers, stack.postgres_url, stack.es_url, table.name(), table.name());
    const std::string log = (dir.path() / "reindex.log").string();
    const auto started = Clock::now();
    ChildProcess kt({args.kt, "reindex", table.name(), "--config", config, "--parallel",
                     std::to_string(args.parallel)},
                    log);
    double cpu = 0;
    std::int64_t peak_rss = 0;
    const auto deadline = started + std::chrono::seconds(args.timeout);
    while (kt.running()) {
        if (const auto c = process_cpu_seconds(kt.pid())) cpu = *c;
        // VmHWM is the high-water mark itself; the last reading before exit is the peak.
        if (const auto hwm = process_peak_rss_bytes(kt.pid())) peak_rss = std::max(peak_rss, *hwm);
        if (Clock::now() > deadline) {
            (void)kt.stop(milliseconds(2000));
            throw Error("kt reindex did not finish in time; see " + log);
        }
        std::this_thread::sleep_for(milliseconds(50));
    }
    Figures f;
    f.seconds = seconds_between(started, Clock::now());
    f.cpu_seconds = cpu;
    f.peak_rss_bytes = peak_rss;
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    const std::string output = text.str();
    if (kt.exit_status() != 0) throw Error("kt reindex failed:\n" + output);
    std::smatch match;
    if (std::regex_search(output, match, std::regex(R"(: (\d+) rows into)"))) {
        f.count = std::stoll(match[1]);
    }
    if (std::regex_search(output, match, std::regex(R"(reindex [^\n]* rows into [^\n]*)"))) {
        summary = match[0];
    }
    return f;
}

int run(const Args& args) {
    const Stack stack = stack_from_env();
    fmt::print("reindex_bench: {} rows, kt reindex --parallel {}; load average before: {}\n",
               args.rows, args.parallel, load_average());
    BenchTable table(stack, "rbench_" + unique_suffix(), args.rows);
    ScratchDir dir;
    const Figures postgres = run_postgres_alone(stack, table);
    std::string summary;
    const Figures reindex = run_reindex(stack, args, dir, table, summary);
    fmt::print("kt: {}\n\n", summary);
    print_row("figure", "rows/s", "CPU us/row", "target");
    print_row(std::string(44, '-'), std::string(14, '-'), std::string(16, '-'),
              std::string(14, '-'));
    print_row(fmt::format("kt reindex --parallel {} (whole command)", args.parallel),
              fmt::format("{:.0f}", reindex.rate()), fmt::format("{:.2f} kt", reindex.micros()),
              fmt::format(">= {:.0f}", postgres.rate() * kTargetShareOfPostgres));
    // Streaming keeps kt's memory flat whatever the table's size; a materialised table would
    // show here as resident memory growing with --rows.
    print_row(
        "kt peak resident memory (VmHWM)",
        reindex.peak_rss_bytes > 0
            ? fmt::format("{:.1f} MiB", static_cast<double>(reindex.peak_rss_bytes) / (1 << 20))
            : "unknown",
        "", "");
    print_row("postgres alone (COPY (scan) TO STDOUT)", fmt::format("{:.0f}", postgres.rate()),
              fmt::format("{:.2f} client", postgres.micros()), "");
    const double share = postgres.rate() > 0 ? reindex.rate() / postgres.rate() : 0;
    fmt::print("\nkt reindex / postgres alone: {:.2f} (target {:.2f}: {})\n", share,
               kTargetShareOfPostgres, share >= kTargetShareOfPostgres ? "met" : "MISSED");
    return 0;
}

}  // namespace
}  // namespace kt::bench

int main(int argc, char** argv) {
    return kt::bench::bench_main(argc, argv, "reindex_bench",
                                 "kt reindex benchmark on the development stack", kt::bench::run);
}
