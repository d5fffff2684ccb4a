#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lib/non_copyable.hpp"
#include "tests/support/dev_stack.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/worker_process.hpp"
#include "workers/verify/comparison.hpp"

namespace kt::reliability {

/// The fault tests' seed: KT_RELIABILITY_SEED when set (to replay a run), else a random one.
/// Printed (`seed=N`) so that a failed run can be replayed.
[[nodiscard]] std::uint64_t test_seed();

/// A free TCP port on 127.0.0.1 (free when asked; another process may take it meanwhile).
[[nodiscard]] int free_port();

/// A private kt-devbroker for tests that take the broker down (see tests/support).
using test::PrivateBroker;

/// A throw-away PostgreSQL cluster (Debian's server binaries, KT_TEST_PG_BIN) on a free port, so
/// a test can stop and restart the server without disturbing the shared one. Runs as the
/// postgres user when the tests run as root. Removed with the object.
class PrivatePostgres : private NonCopyable {
public:
    /// initdb and start; throws std::runtime_error with the server's output on failure.
    PrivatePostgres();
    ~PrivatePostgres();

    /// libpq URL of database `postgres` as user `kt`.
    [[nodiscard]] std::string url() const;
    /// Stops the server with `mode` (`fast` or `immediate`); throws when pg_ctl fails.
    void stop(const std::string& mode);
    /// Starts it again on the same port; throws when pg_ctl fails.
    void start();

private:
    std::filesystem::path dir_;
    int port_ = 0;
    bool running_ = false;
};

/// One of the development stack's Java servers, `kafka` (Apache Kafka) or `search`
/// (Elasticsearch or OpenSearch), faulted through `scripts/stack.sh signal|restart` on the stack
/// of KT_TEST_STACK_DIR. The destructor resumes a paused server and restarts a killed one, so
/// that the tests after a failed one find the stack whole. Every call throws
/// std::runtime_error with the script's output when it fails.
class StackServer : private NonCopyable {
public:
    /// `which` is `kafka` or `search`.
    explicit StackServer(std::string which);
    ~StackServer();

    /// SIGKILL; returns once the process is gone (its data stays).
    void kill();
    /// Starts it again on the same data and ports; returns once it is ready.
    void restart();
    /// SIGSTOP; returns once the process is stopped.
    void pause();
    /// SIGCONT.
    void resume();

private:
    void stack(const std::string& args);

    std::string which_;
    std::string dir_;
    bool killed_ = false;
    bool paused_ = false;
};

/// Why the stack cannot lend its real `kafka` or `search` server to a fault test (a double runs
/// instead, or KT_TEST_STACK_DIR is unset); empty when it can.
[[nodiscard]] std::string real_server_missing(const std::string& which);

/// Where a scenario's services are and how its pipeline is configured.
struct ScenarioOptions {
    std::string brokers;         ///< Kafka bootstrap servers
    /// A private kt-devbroker's control URL for topic creation; empty: the stack's Kafka
    /// (test::create_topic).
    std::string control;
    std::string postgres_url;    ///< used by the test and the workers
    std::string es_url;          ///< Elasticsearch, OpenSearch or stand-in URL
    int partitions = 4;          ///< of the model topic and the parent and delay topics
    std::int64_t rows = 1000;    ///< rows of the indexed table
    int children_per_parent = 5; ///< rows per parent row (the cascade's fan-out)
    int batch_size = 200;        ///< indexer and cascader batch size
    std::string es_timeout = "10s";
    /// Extra librdkafka properties for every worker.
    std::map<std::string, std::string> kafka_properties;
    /// Extra libpq URL parameters for the workers (e.g. `application_name=x`).
    std::string worker_pg_params;
    /// The index query calls `<prefix>_pause()`, which sleeps for the milliseconds in
    /// `<prefix>_fault` (set_query_pause), so that a test can make it slow.
    bool pausable_query = false;
    /// kt-capture announces the changes: the index also reads a child table `<prefix>_notes`,
    /// a publication and a slot named `<prefix>` cover the three tables, the config has a
    /// `capture:` section, and neither seed_rows() nor the writer sends a message.
    bool capture = false;
};

/// What the writer does each round.
enum class WriterMode {
    kInstant,  ///< update rows, then instant messages to the model topic
    kDelayed,  ///< update rows, then only delay envelopes (the delayer must release each)
    kParents,  ///< update parent rows, then instant messages to the parent topic (cascade)
    /// plain SQL only (kt-capture reads the WAL): each transaction updates rows, renames a
    /// parent, adds a note to a row and removes an older one
    kCaptured,
};

/// One fault run's figures, printed and appended to `reliability-report.txt` in the build dir.
struct ReportRow {
    std::string fault;
    std::uint64_t seed = 0;
    std::int64_t updates = 0;    ///< document changes the writer caused (incl. the initial load)
    std::size_t checked = 0;     ///< documents compared with their rows
    std::size_t lost = 0;        ///< missing, stale or extra at the end
    std::int64_t writes = 0;     ///< documents Elasticsearch wrote for the index
    std::int64_t duplicates = 0; ///< writes beyond the updates (0 when coalescing hid them)
    double converge_seconds = 0; ///< from the end of faults and writes to an exact index
    std::string note;            ///< what the fault did (kills, restarts, ...)
};

/// Prints `row` and appends it to the report file.
void record(const ReportRow& row);

/// An index fed by the real workers, with everything a fault test needs: tables
/// `<p>_items` (indexed, with a parent's name in each document) and `<p>_parents`, topics for
/// the index, a delay stage (1 s) and a cascade, a config file, worker processes by slot, a
/// continuous writer and the final comparison (workers/verify's code). Unique names; the tables
/// and files go away with it.
class Scenario : private NonCopyable {
public:
    explicit Scenario(ScenarioOptions options);
    ~Scenario();

    [[nodiscard]] const std::string& prefix() const { return fixture_.name(); }
    [[nodiscard]] std::string index() const { return fixture_.name("items"); }
    [[nodiscard]] std::string topic() const { return fixture_.name("items"); }
    [[nodiscard]] std::string parents_topic() const { return fixture_.name("parents"); }
    [[nodiscard]] std::string delay_topic() const { return fixture_.name("delay"); }
    /// The slot and publication of a capture scenario.
    [[nodiscard]] const std::string& slot() const { return fixture_.name(); }
    [[nodiscard]] std::string config_path() const { return fixture_.config_path(); }
    [[nodiscard]] const ScenarioOptions& options() const { return options_; }

    /// Runs SQL on the scenario's database (its own connection each time).
    void exec(const std::string& sql);

    /// Starts (or restarts) the worker in `slot`: `binary` is kt-indexer, kt-delayer or
    /// kt-cascader. A slot's earlier process must have exited.
    test::WorkerProcess& start_worker(const std::string& slot, const std::string& binary);
    /// The worker in `slot`; throws when none was started.
    test::WorkerProcess& worker(const std::string& slot);
    /// Slots started so far.
    [[nodiscard]] std::vector<std::string> slots() const;
    /// Workers that exited with a failure (or a signal the test did not send), with the end of
    /// their logs; empty when every worker runs or exited 0.
    [[nodiscard]] std::string dead_workers();
    /// Logs of every worker (for failure messages), last `bytes` of each.
    [[nodiscard]] std::string logs(std::size_t bytes = 6000) const;

    /// Inserts the rows and parents and announces every row once (counted as updates).
    void seed_rows();
    /// Starts the writer thread.
    void start_writer(WriterMode mode, std::uint64_t seed);
    /// Stops and joins the writer (after everything it sent was acknowledged by Kafka).
    void stop_writer();
    /// Document changes announced so far (initial load and writer).
    [[nodiscard]] std::int64_t updates() const { return updates_.load(); }
    /// Rounds the writer could not complete at once (database or Kafka failures it retried).
    [[nodiscard]] std::int64_t writer_retries() const { return writer_retries_.load(); }

    /// Makes the index query sleep `ms` per batch (needs pausable_query).
    void set_query_pause(int ms);

    /// Compares the index with the table until they are equal or `timeout` passes; returns the
    /// last comparison and how long it took.
    struct Convergence {
        workers::VerifyReport report;
        double seconds = 0;
        bool converged = false;
    };
    Convergence converge(std::chrono::milliseconds timeout);

    /// Documents the search server behind the scenario wrote for its index: the stand-in's
    /// stats, or the operations on the index's primaries on a real server (by sequence number,
    /// so that a restart does not reset the count); -1 when neither answers.
    [[nodiscard]] std::int64_t documents_written() const;

    /// The report row for `fault` from a convergence.
    [[nodiscard]] ReportRow row(const std::string& fault, std::uint64_t seed,
                                const Convergence& convergence, std::string note) const;

private:
    void write_config();
    void writer_loop(WriterMode mode, std::uint64_t seed);
    void captured_writer_loop(std::uint64_t seed);

    ScenarioOptions options_;
    test::Fixture fixture_;
    std::string p_;
    std::map<std::string, std::unique_ptr<test::WorkerProcess>> workers_;
    std::map<std::string, int> starts_;
    std::thread writer_;
    std::atomic<bool> stop_writer_{false};
    std::atomic<std::int64_t> updates_{0};
    std::atomic<std::int64_t> writer_retries_{0};
};

/// How long an index may take to equal its table once faults and writes stopped.
inline constexpr std::chrono::seconds kConvergeDeadline{180};

/// The first ids of each kind of difference, for failure messages.
[[nodiscard]] std::string examples(const workers::VerifyReport& report);

/// Stops the writer, waits until the index converges (kConvergeDeadline), records the report
/// row and returns it (with the convergence in `out` when given).
ReportRow finish_run(Scenario& scenario, const std::string& fault, std::uint64_t seed,
                     std::string note, Scenario::Convergence* out = nullptr);

/// What every fault test ends with: the index converged to its table, nothing lost, every row
/// checked and no worker died on its own; a failure says which, with examples and the logs.
[[nodiscard]] ::testing::AssertionResult nothing_lost(Scenario& scenario,
                                                      const Scenario::Convergence& convergence,
                                                      const ReportRow& row);

}  // namespace kt::reliability
