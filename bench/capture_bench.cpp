// capture_bench: the real kt-capture reading a pgoutput slot of the development stack's
// PostgreSQL into its Kafka, next to pg_recvlogical alone reading the same backlog from an
// identical slot in the same run. A report, not a test: exits 0 whatever the figures are, 1 only
// when it cannot run.
//
//   capture_bench [--changes 1000000] [--transaction-rows 1000] [--live-rate 5000]
//                 [--live-seconds 20] [--big-transaction 1000000] [--partitions 8] [--rounds 3]
//                 [--capture PATH] [--pg-bin DIR] [--timeout 600]
//
// 1. Backlog: --rounds pairs of slots are created in one statement (so all start at the same WAL
//    position), then --changes rows are inserted in transactions of --transaction-rows. In each
//    round kt-capture drains one slot into Kafka (done when every id is acknowledged on the
//    topic) and pg_recvlogical drains the other to /dev/null up to the same end position, which
//    one first alternating. Both are timed from process start; kt-capture's CPU is utime + stime
//    of all its threads from /proc/<pid>/stat. The ratio is given per round and as the median.
// 2. Live: rows inserted at --live-rate per second in transactions every 10 ms; a consumer on
//    the topic times each id from its transaction's commit to its arrival (commit to Kafka
//    acknowledgement is shorter than that).
// 3. One transaction of --big-transaction rows; kt-capture's peak resident memory (VmHWM) over
//    its whole run is read once its ids are all on the topic.

#include <sys/resource.h>
#include <sys/wait.h>

#include <CLI/CLI.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "bench/support.hpp"
#include "lib/error.hpp"
#include "lib/kafka/admin.hpp"
#include "lib/kafka/consumer.hpp"
#include "lib/kafka/options.hpp"
#include "lib/log/log.hpp"
#include "lib/non_copyable.hpp"

namespace kt::bench {
namespace {

constexpr double kTargetRatio = 0.80;
constexpr double kTargetCpuMicros = 2.0;
constexpr double kTargetP99Millis = 200.0;
constexpr double kTargetPeakMiB = 64.0;
constexpr milliseconds kPoll{100};
constexpr milliseconds kLiveTick{10};

struct Args {
    int changes = 1'000'000;
    int transaction_rows = 1000;
    int live_rate = 5000;
    int live_seconds = 20;
    int big_transaction = 1'000'000;
    int partitions = 8;
    int rounds = 3;  ///< kt-capture and pg_recvlogical drains, alternating which goes first
    std::string capture = KT_BINARY_DIR "/cmd/kt-capture";
    std::string pg_bin;  ///< folder of pg_recvlogical; KT_TEST_PG_BIN when empty
    int timeout = 600;

    void add_options(CLI::App& app) {
        app.add_option("--changes", changes, "rows inserted before kt-capture starts")
            ->check(CLI::Range(1000, 10'000'000));
        app.add_option("--transaction-rows", transaction_rows, "rows per backlog transaction")
            ->check(CLI::Range(1, 10'000'000));
        app.add_option("--live-rate", live_rate, "changes per second of the live phase")
            ->check(CLI::Range(100, 100'000));
        app.add_option("--live-seconds", live_seconds, "length of the live phase")
            ->check(CLI::Range(1, 600));
        app.add_option("--big-transaction", big_transaction, "rows of the one big transaction")
            ->check(CLI::Range(1, 10'000'000));
        app.add_option("--partitions", partitions, "partitions of the index topic")
            ->check(CLI::Range(1, 256));
        app.add_option("--rounds", rounds, "drains of the backlog by each reader")
            ->check(CLI::Range(1, 9));
        app.add_option("--capture", capture, "kt-capture executable");
        app.add_option("--pg-bin", pg_bin, "folder of pg_recvlogical (default KT_TEST_PG_BIN)");
        app.add_option("--timeout", timeout, "seconds allowed for each drain");
    }
};

/// The table, its publication and `rounds` pairs of slots (one for kt-capture, one for
/// pg_recvlogical, all created in one statement so that each starts at the same WAL position),
/// dropped at the end.
class Source : private NonCopyable {
public:
    Source(const Stack& stack, const std::string& suffix, int rounds)
        : conn_(stack.postgres_url), table_("bench_capture_" + suffix) {
        exec(fmt::format("CREATE TABLE {} (id bigint PRIMARY KEY, title text NOT NULL, "
                         "price numeric(10,2) NOT NULL)",
                         table_));
        exec(fmt::format("CREATE PUBLICATION {0} FOR TABLE {0}", table_));
        std::string create;
        for (int r = 0; r < rounds; ++r) {
            kt_slots_.push_back(fmt::format("bench_capture_kt{}_{}", r, suffix));
            recv_slots_.push_back(fmt::format("bench_capture_recv{}_{}", r, suffix));
            for (const auto* slot : {&kt_slots_.back(), &recv_slots_.back()}) {
                create += fmt::format("{}pg_create_logical_replication_slot('{}', 'pgoutput')",
                                      create.empty() ? "SELECT " : ", ", *slot);
            }
        }
        exec(create);
    }
    ~Source() {
        std::vector<std::string> slots = kt_slots_;
        slots.insert(slots.end(), recv_slots_.begin(), recv_slots_.end());
        for (const auto& slot : slots) {
            try {
                exec(fmt::format("SELECT pg_terminate_backend(active_pid) FROM "
                                 "pg_replication_slots WHERE slot_name = '{}' AND active",
                                 slot));
                for (int i = 0; i < 100 && active(slot); ++i) {
                    std::this_thread::sleep_for(kPoll);  // waiting for the walsender to go
                }
                exec(fmt::format("SELECT pg_drop_replication_slot('{}')", slot));
            } catch (const std::exception& e) {
                std::cerr << "cleanup of slot " << slot << " failed: " << e.what() << "\n";
            }
        }
        try {
            exec(fmt::format("DROP PUBLICATION IF EXISTS {}", table_));
            exec(fmt::format("DROP TABLE IF EXISTS {}", table_));
        } catch (...) {
        }
    }

    /// Inserts ids [first, first + count) in one transaction.
    void insert(std::int64_t first, std::int64_t count) {
        exec(fmt::format("INSERT INTO {} SELECT g, 'Product ' || g, (g % 100000) / 100.0 "
                         "FROM generate_series({}, {}) g",
                         table_, first, first + count - 1));
    }
    [[nodiscard]] std::string wal_position() {
        return exec("SELECT pg_current_wal_lsn()::text")[0][0].c_str();
    }
    bool active(const std::string& slot) {
        const auto rows = exec(fmt::format(
            "SELECT active FROM pg_replication_slots WHERE slot_name = '{}'", slot));
        return !rows.empty() && rows[0][0].as<bool>();
    }
    [[nodiscard]] const std::string& table() const { return table_; }
    [[nodiscard]] const std::string& kt_slot(std::size_t round) const {
        return kt_slots_.at(round);
    }
    [[nodiscard]] const std::string& recv_slot(std::size_t round) const {
        return recv_slots_.at(round);
    }

private:
    pqxx::result exec(const std::string& sql) {
        pqxx::nontransaction tx(conn_);
        return tx.exec(sql);
    }

    pqxx::connection conn_;
    std::string table_;
    std::vector<std::string> kt_slots_;
    std::vector<std::string> recv_slots_;
};

/// Messages on a topic: the sum of its partitions' high watermarks.
class TopicCount {
public:
    TopicCount(const Stack& stack, std::string topic, int partitions)
        : admin_(options(stack)), topic_(std::move(topic)), partitions_(partitions) {}

    std::int64_t operator()() {
        std::int64_t total = 0;
        for (const auto& end : ends()) total += end.offset;
        return total;
    }
    /// Each partition at its high watermark.
    std::vector<kafka::TopicPartition> ends() {
        std::vector<kafka::TopicPartition> out;
        for (int p = 0; p < partitions_; ++p) {
            out.push_back({topic_, p, admin_.query_watermarks(topic_, p, seconds(10)).high});
        }
        return out;
    }

private:
    static kafka::Options options(const Stack& stack) {
        kafka::Options o;
        o.brokers = stack.brokers;
        return o;
    }
    kafka::Admin admin_;
    std::string topic_;
    int partitions_;
};

/// Waits until `count()` reaches `target`, `capture` exits or `timeout` passes; true when reached.
bool wait_for_count(TopicCount& count, std::int64_t target, ChildProcess& capture,
                    seconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline && capture.running()) {
        if (count() >= target) return true;
        std::this_thread::sleep_for(kPoll);  // polling interval, not synchronisation
    }
    return false;
}

void write_config(const std::filesystem::path& path, const Stack& stack, const Source& source,
                  const std::string& slot) {
    std::ofstream out(path);
    out << "kafka:\n  brokers: \"" << stack.brokers << "\"\n"
        << "postgres:\n  url: \"" << stack.postgres_url << "\"\n"
        << "elasticsearch:\n  url: \"" << stack.es_url << "\"\n"
        << "indexes:\n  " << source.table() << ":\n"
        << "    topic: " << source.table() << "\n"
        << "    query: |\n"
        << "      SELECT t.id, jsonb_build_object('title', t.title, 'price', t.price) AS doc\n"
        << "      FROM " << source.table() << " t WHERE t.id = ANY($1::bigint[])\n"
        << "capture:\n  slot: " << slot << "\n  publication: " << source.table()
        << "\n  heartbeat: 1s\n";
    if (!out) throw Error("cannot write " + path.string());
}

/// CPU seconds of this process's reaped children so far.
double children_cpu_seconds() {
    rusage usage{};
    ::getrusage(RUSAGE_CHILDREN, &usage);
    const auto secs = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return secs(usage.ru_utime) + secs(usage.ru_stime);
}

struct Drain {
    bool finished = false;
    double seconds = 0;
    double cpu_seconds = 0;
};

/// pg_recvlogical reading `slot` to /dev/null until `end`, from process start to exit.
Drain run_pg_recvlogical(const Stack& stack, const Args& args, const Source& source,
                         const std::string& slot, const std::string& end,
                         const ScratchDir& scratch) {
    std::string bin = args.pg_bin;
    if (bin.empty()) {
        const char* env = std::getenv("KT_TEST_PG_BIN");
        bin = env != nullptr ? env : "/usr/lib/postgresql/15/bin";
    }
    const double cpu0 = children_cpu_seconds();
    const auto started = Clock::now();
    ChildProcess recv({bin + "/pg_recvlogical", "-d", stack.postgres_url, "--slot",
                       slot, "--start", "--no-loop", "--endpos", end, "-o",
                       "proto_version=1", "-o", "publication_names=" + source.table(), "-f",
                       "/dev/null"},
                      (scratch.path() / "pg_recvlogical.log").string());
    const auto deadline = started + seconds(args.timeout);
    while (recv.running() && Clock::now() < deadline) {
        std::this_thread::sleep_for(milliseconds(5));  // polling interval, not synchronisation
    }
    Drain out;
    out.seconds = seconds_between(started, Clock::now());
    out.finished = !recv.running() && WIFEXITED(recv.exit_status()) &&
                   WEXITSTATUS(recv.exit_status()) == 0;
    out.cpu_seconds = children_cpu_seconds() - cpu0;
    if (!out.finished) {
        std::ifstream log(scratch.path() / "pg_recvlogical.log");
        std::cerr << "pg_recvlogical did not finish; its log:\n" << log.rdbuf() << "\n";
    }
    return out;
}

struct Latencies {
    std::vector<double> millis;
    std::int64_t expected = 0;
};

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const auto at = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
    return v[at];
}

/// Inserts fresh ids from `first` at `rate` per second for `duration` while a consumer on the
/// topic times each id from its transaction's commit to its arrival.
Latencies run_live(const Stack& stack, Source& source, TopicCount& count,
                   const std::string& topic, std::int64_t first, const Args& args) {
    kafka::Options options;
    options.brokers = stack.brokers;
    options.group_id = "bench_live_" + topic;
    kafka::Consumer consumer(options);
    consumer.subscribe({topic});
    std::vector<kafka::Message> polled;
    const auto join_deadline = Clock::now() + seconds(60);
    while (consumer.assignment().size() < static_cast<std::size_t>(args.partitions) &&
           Clock::now() < join_deadline) {
        (void)consumer.poll_batch(polled, 100, kPoll);
    }
    consumer.seek(count.ends(), seconds(10));  // from here on: nothing written yet is skipped
    polled.clear();

    std::mutex mutex;
    std::unordered_map<std::int64_t, Clock::time_point> committed;  // first id -> commit
    const std::int64_t per_tick = std::max<std::int64_t>(1, args.live_rate / 100);
    const std::int64_t ticks = static_cast<std::int64_t>(args.live_seconds) * 100;
    Latencies out;
    out.expected = per_tick * ticks;
    std::atomic<bool> writing{true};
    std::jthread writer([&] {
        pqxx::connection conn(stack.postgres_url);
        auto next = Clock::now();
        for (std::int64_t t = 0; t < ticks; ++t) {
            const std::int64_t from = first + t * per_tick;
            pqxx::work tx(conn);
            tx.exec(fmt::format("INSERT INTO {} SELECT g, 'Product ' || g, 1 FROM "
                                "generate_series({}, {}) g",
                                source.table(), from, from + per_tick - 1));
            tx.commit();
            {
                std::lock_guard lock(mutex);
                committed[from] = Clock::now();
            }
            next += kLiveTick;
            std::this_thread::sleep_until(next);  // the writer's pace
        }
        writing = false;
    });
    std::int64_t received = 0;
    const auto deadline = Clock::now() + seconds(args.live_seconds + 60);
    while (received < out.expected && Clock::now() < deadline) {
        polled.clear();
        (void)consumer.poll_batch(polled, 1000, kPoll);
        const auto now = Clock::now();
        std::lock_guard lock(mutex);
        for (const auto& m : polled) {
            const auto key = m.key();
            if (!key) continue;
            const std::int64_t id = std::strtoll(std::string(*key).c_str(), nullptr, 10);
            if (id < first) continue;
            const auto at = committed.find(first + (id - first) / per_tick * per_tick);
            if (at == committed.end()) continue;
            out.millis.push_back(
                std::chrono::duration<double, std::milli>(now - at->second).count());
            ++received;
        }
    }
    writer.join();
    consumer.close();
    return out;
}

std::string mib(std::optional<std::int64_t> bytes) {
    return bytes ? fmt::format("{:.1f} MiB", static_cast<double>(*bytes) / (1024.0 * 1024.0))
                 : "unknown";
}

/// One kt-capture process on its own slot.
struct KtRun {
    Drain drain;
    std::unique_ptr<ChildProcess> process;
};

/// Starts kt-capture on `slot` and waits until `target` messages are on the topic.
KtRun run_kt_capture(const Stack& stack, const Args& args, const Source& source,
                     const std::string& slot, TopicCount& count, std::int64_t target,
                     const ScratchDir& scratch) {
    const auto config_path = scratch.path() / (slot + ".yaml");
    write_config(config_path, stack, source, slot);
    const auto log_path = scratch.path() / (slot + ".log");
    KtRun run;
    const auto started = Clock::now();
    run.process = std::make_unique<ChildProcess>(
        std::vector<std::string>{args.capture, "--config", config_path.string(),
                                 "--metrics-port", std::to_string(free_port())},
        log_path.string());
    run.drain.finished = wait_for_count(count, target, *run.process, seconds(args.timeout));
    run.drain.seconds = seconds_between(started, Clock::now());
    run.drain.cpu_seconds = process_cpu_seconds(run.process->pid()).value_or(0);
    if (!run.drain.finished) {
        std::ifstream log(log_path);
        std::cerr << "kt-capture did not drain the backlog; its log:\n" << log.rdbuf() << "\n";
    }
    return run;
}

/// The figures of one round: kt-capture and pg_recvlogical on the same backlog.
struct Round {
    Drain kt;
    Drain recv;
    bool kt_first = true;
    [[nodiscard]] double ratio() const {
        return kt.seconds > 0 && recv.finished ? recv.seconds / kt.seconds : 0;
    }
};

int run(const Args& args) {
    const Stack stack = stack_from_env();
    const std::string suffix = unique_suffix();
    ScratchDir scratch;
    fmt::print("capture_bench: {} changes in transactions of {}, {} round(s), live {} changes/s "
               "for {} s, one transaction of {}; load average before: {}\n",
               args.changes, args.transaction_rows, args.rounds, args.live_rate,
               args.live_seconds, args.big_transaction, load_average());

    Source source(stack, suffix, args.rounds);
    const std::string& topic = source.table();
    create_topic(stack, topic, args.partitions);
    const auto setup_started = Clock::now();
    std::int64_t next_id = 1;
    while (next_id <= args.changes) {
        const std::int64_t count =
            std::min<std::int64_t>(args.transaction_rows, args.changes - next_id + 1);
        source.insert(next_id, count);
        next_id += count;
    }
    const std::string end = source.wal_position();
    fmt::print("backlog: {} rows inserted in {:.1f} s, WAL up to {}\n", args.changes,
               seconds_between(setup_started, Clock::now()), end);
    TopicCount count(stack, topic, args.partitions);

    // Each round drains its own pair of slots; which of the two goes first alternates, so that
    // neither always reads WAL the other has just brought into the page cache. The last round's
    // kt-capture stays for the live phase and the large transaction.
    std::vector<Round> rounds(static_cast<std::size_t>(args.rounds));
    std::unique_ptr<ChildProcess> capture;
    std::optional<std::int64_t> drain_peak;
    for (std::size_t r = 0; r < rounds.size(); ++r) {
        Round& round = rounds[r];
        round.kt_first = r % 2 == 0;
        if (!round.kt_first) {
            round.recv = run_pg_recvlogical(stack, args, source, source.recv_slot(r), end, scratch);
        }
        const auto target = static_cast<std::int64_t>(r + 1) * args.changes;
        KtRun kt = run_kt_capture(stack, args, source, source.kt_slot(r), count, target, scratch);
        if (!kt.drain.finished) return 1;
        round.kt = kt.drain;
        drain_peak = process_peak_rss_bytes(kt.process->pid());
        if (round.kt_first) {
            round.recv = run_pg_recvlogical(stack, args, source, source.recv_slot(r), end, scratch);
        }
        if (r + 1 < rounds.size()) {
            (void)kt.process->stop(seconds(15));
        } else {
            capture = std::move(kt.process);
        }
        fmt::print("round {} ({} first): kt-capture {:.0f} changes/s at {:.2f} us/change, "
                   "pg_recvlogical {:.0f} changes/s: {:.2f}\n",
                   r + 1, round.kt_first ? "kt-capture" : "pg_recvlogical",
                   static_cast<double>(args.changes) / round.kt.seconds,
                   round.kt.cpu_seconds * 1e6 / static_cast<double>(args.changes),
                   round.recv.finished ? static_cast<double>(args.changes) / round.recv.seconds
                                       : 0,
                   round.ratio());
    }

    const Latencies live = run_live(stack, source, count, topic, next_id, args);
    next_id += live.expected;

    const std::int64_t before_big = count();
    const auto big_started = Clock::now();
    source.insert(next_id, args.big_transaction);
    const auto big_committed = Clock::now();
    const bool big_done =
        wait_for_count(count, before_big + args.big_transaction, *capture, seconds(args.timeout));
    const auto big_seconds = seconds_between(big_committed, Clock::now());
    const auto peak = process_peak_rss_bytes(capture->pid());
    (void)capture->stop(seconds(15));

    std::vector<const Round*> sorted;
    for (const auto& r : rounds) sorted.push_back(&r);
    std::sort(sorted.begin(), sorted.end(),
              [](const Round* a, const Round* b) { return a->ratio() < b->ratio(); });
    const Round& median = *sorted[sorted.size() / 2];
    const double changes = static_cast<double>(args.changes);
    fmt::print("\nthe median round ({} of {}):\n", &median - rounds.data() + 1, rounds.size());
    print_row("figure", "changes/s", "CPU us/change", "target");
    print_row(std::string(44, '-'), std::string(14, '-'), std::string(16, '-'),
              std::string(14, '-'));
    print_row("kt-capture: backlog drained into Kafka",
              fmt::format("{:.0f}", changes / median.kt.seconds),
              fmt::format("{:.2f} capture", median.kt.cpu_seconds * 1e6 / changes),
              fmt::format("<= {:.1f} us", kTargetCpuMicros));
    print_row("pg_recvlogical alone: backlog to /dev/null",
              median.recv.finished ? fmt::format("{:.0f}", changes / median.recv.seconds)
                                   : "did not finish",
              fmt::format("{:.2f} client", median.recv.cpu_seconds * 1e6 / changes), "");
    std::string ratios;
    for (const auto& r : rounds) {
        ratios += fmt::format("{}{:.2f}", ratios.empty() ? "" : ", ", r.ratio());
    }
    fmt::print("\nkt-capture / pg_recvlogical (each timed from process start): {:.2f} (target >= "
               "{:.2f}); per round: {}\n",
               median.ratio(), kTargetRatio, ratios);
    fmt::print("live, {} changes/s for {} s: {} of {} ids arrived; commit to arrival p50 {:.1f} "
               "ms, p99 {:.1f} ms (target < {:.0f} ms), max {:.1f} ms\n",
               args.live_rate, args.live_seconds, live.millis.size(), live.expected,
               percentile(live.millis, 0.50), percentile(live.millis, 0.99), kTargetP99Millis,
               percentile(live.millis, 1.0));
    fmt::print("one transaction of {} rows: {} in {:.1f} s after its commit (insert took {:.1f} "
               "s); kt-capture peak resident memory: {} after the backlog, {} at the end "
               "(target <= {:.0f} MiB)\n",
               args.big_transaction, big_done ? "every id on the topic" : "NOT all on the topic",
               big_seconds, seconds_between(big_started, big_committed), mib(drain_peak),
               mib(peak), kTargetPeakMiB);
    return 0;
}

}  // namespace
}  // namespace kt::bench

int main(int argc, char** argv) {
    return kt::bench::bench_main(argc, argv, "capture_bench",
                                 "kt-capture against pg_recvlogical on the development stack",
                                 kt::bench::run);
}
