#include "tests/reliability/harness.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>
#include <httplib.h>
#include <pqxx/pqxx>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <numeric>
#include <stdexcept>
#include <utility>

#include "lib/app/publisher.hpp"
#include "lib/config/loader.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/test_env.hpp"
#include "workers/verify/verifier.hpp"

namespace kt::reliability {

using namespace std::chrono_literals;
using nlohmann::json;

std::uint64_t test_seed() {
    const char* fixed = std::getenv("KT_RELIABILITY_SEED");
    const std::uint64_t seed =
        fixed != nullptr && *fixed ? std::stoull(fixed) : std::uint64_t{std::random_device{}()};
    std::cout << "seed=" << seed << std::endl;
    return seed;
}

int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("free_port: socket() failed");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof(address);
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
    ::close(fd);
    if (!ok) throw std::runtime_error("free_port: cannot bind 127.0.0.1:0");
    return ntohs(address.sin_port);
}

namespace {

/// Runs `command`, throwing with its output when it fails.
void run_or_throw(const std::string& command) {
    const auto result = test::run_command(command);
    if (result.exit_code != 0) {
        throw std::runtime_error(command + " exited " + std::to_string(result.exit_code) + ":\n" +
                                 result.output);
    }
}

std::string pg_bin() {
    const char* from_env = std::getenv("KT_TEST_PG_BIN");
    return from_env != nullptr && *from_env ? from_env : "/usr/lib/postgresql/15/bin";
}

/// Prefix that runs a command as the postgres user when we are root (the server refuses root).
std::string as_postgres() { return ::geteuid() == 0 ? "runuser -u postgres -- " : ""; }

std::string tail(const std::string& text, std::size_t bytes) {
    return text.size() <= bytes ? text : "..." + text.substr(text.size() - bytes);
}

/// The rows a statement changed, signed like the counters that add them up.
std::int64_t changed_rows(const pqxx::result& result) {
    return static_cast<std::int64_t>(result.affected_rows());
}

}  // namespace

// --- PrivatePostgres -------------------------------------------------------------------------

PrivatePostgres::PrivatePostgres()
    : dir_(std::filesystem::temp_directory_path() / test::unique_name("relpg")),
      port_(free_port()) {
    std::filesystem::create_directories(dir_);
    if (::geteuid() == 0) run_or_throw("chown postgres: '" + dir_.string() + "'");
    run_or_throw(fmt::format("{}'{}/initdb' -D '{}/data' -U kt --auth=trust -E UTF8 "
                             "--locale=C.UTF-8 --no-sync",
                             as_postgres(), pg_bin(), dir_.string()));
    start();
}

PrivatePostgres::~PrivatePostgres() {
    if (running_) {
        (void)test::run_command(fmt::format("{}'{}/pg_ctl' -D '{}/data' -m immediate -w stop",
                                            as_postgres(), pg_bin(), dir_.string()));
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

std::string PrivatePostgres::url() const {
    return fmt::format("postgresql://kt@127.0.0.1:{}/postgres", port_);
}

void PrivatePostgres::stop(const std::string& mode) {
    run_or_throw(fmt::format("{}'{}/pg_ctl' -D '{}/data' -m {} -w -t 60 stop", as_postgres(),
                             pg_bin(), dir_.string(), mode));
    running_ = false;
}

void PrivatePostgres::start() {
    run_or_throw(fmt::format(
        "{}'{}/pg_ctl' -D '{}/data' -l '{}/server.log' -w -t 60 start -o \"-c "
        "listen_addresses=127.0.0.1 -c port={} -c unix_socket_directories={} -c fsync=off "
        "-c max_connections=100 -c wal_level=logical\"",
        as_postgres(), pg_bin(), dir_.string(), dir_.string(), port_, dir_.string()));
    running_ = true;
}

// --- StackServer -----------------------------------------------------------------------------

StackServer::StackServer(std::string which)
    : which_(std::move(which)), dir_(test::require_env("KT_TEST_STACK_DIR")) {}

StackServer::~StackServer() {
    try {
        if (paused_) resume();
        if (killed_) restart();
    } catch (const std::exception& e) {
        std::cerr << "the stack's " << which_ << " was left faulted: " << e.what() << std::endl;
    }
}

void StackServer::stack(const std::string& args) {
    run_or_throw(fmt::format("KT_STACK_DIR='{}' bash '{}/scripts/stack.sh' {}", dir_,
                             KT_SOURCE_DIR, args));
}

void StackServer::kill() {
    killed_ = true;
    stack("signal " + which_ + " KILL");
}

void StackServer::restart() {
    stack("restart " + which_);
    killed_ = false;
}

void StackServer::pause() {
    paused_ = true;
    stack("signal " + which_ + " STOP");
}

void StackServer::resume() {
    stack("signal " + which_ + " CONT");
    paused_ = false;
}

std::string real_server_missing(const std::string& which) {
    if (which == "kafka" && !test::stack_runs_real_kafka()) {
        return "the stack's Kafka is kt-devbroker, not Apache Kafka (KT_TEST_STACK_KAFKA is not "
               "kafka): start the stack with KT_STACK_KAFKA=kafka";
    }
    const std::string search = test::stack_search();
    if (which == "search" && search != "elasticsearch" && search != "opensearch") {
        return "the stack's search server is " + search +
               ", not Elasticsearch or OpenSearch (KT_TEST_STACK_SEARCH): start the stack with "
               "KT_STACK_SEARCH=elasticsearch or opensearch";
    }
    const char* dir = std::getenv("KT_TEST_STACK_DIR");
    if (dir == nullptr || *dir == '\0') {
        return "KT_TEST_STACK_DIR is unset: the stack's env predates scripts/stack.sh signal and "
               "restart; start the stack again";
    }
    return {};
}

// --- report ----------------------------------------------------------------------------------

void record(const ReportRow& row) {
    const std::string line = fmt::format(
        "{:<32} seed={:<10} updates={:<6} checked={:<5} lost={:<3} writes={:<6} "
        "duplicates={:<5} converge={:.1f}s {}",
        row.fault, row.seed, row.updates, row.checked, row.lost, row.writes, row.duplicates,
        row.converge_seconds, row.note);
    std::cout << "[reliability] " << line << std::endl;
    const std::time_t now = std::time(nullptr);
    char stamp[32];
    std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    // One write(2) per line with O_APPEND: tests running in parallel do not interleave lines.
    const std::string tsv =
        fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{:.1f}\t{}\n", stamp, row.fault, row.seed,
                    row.updates, row.checked, row.lost, row.writes, row.duplicates,
                    row.converge_seconds, row.note);
    const int fd = ::open(KT_BINARY_DIR "/reliability-report.txt", O_WRONLY | O_CREAT | O_APPEND,
                          0644);
    if (fd >= 0) {
        (void)!::write(fd, tsv.data(), tsv.size());
        ::close(fd);
    }
}

// --- Scenario --------------------------------------------------------------------------------

Scenario::Scenario(ScenarioOptions options)
    : options_(std::move(options)),
      fixture_("rel", options_.postgres_url),
      p_(fixture_.name()) {
    fixture_.use_broker(options_.brokers, options_.control);
    for (const auto& table : {p_ + "_items", p_ + "_parents", p_ + "_fault"}) {
        fixture_.drop_at_end(table);
    }
    fixture_.drop_function_at_end(p_ + "_pause()");
    // Through a connection of its own, as every statement here: the tests restart the server.
    exec(fmt::format(
        "CREATE TABLE {0}_parents (id bigint PRIMARY KEY, name text NOT NULL);"
        "CREATE TABLE {0}_items (id bigint PRIMARY KEY, title text NOT NULL, n bigint NOT NULL,"
        "  parent_id bigint NOT NULL);"
        "CREATE INDEX ON {0}_items (parent_id);"
        "CREATE TABLE {0}_fault (pause_ms int NOT NULL);"
        "INSERT INTO {0}_fault VALUES (0);"
        "CREATE FUNCTION {0}_pause() RETURNS boolean LANGUAGE plpgsql AS $$"
        " DECLARE ms int; BEGIN SELECT pause_ms INTO ms FROM {0}_fault;"
        " IF ms > 0 THEN PERFORM pg_sleep(ms / 1000.0); END IF; RETURN true; END $$",
        p_));
    if (options_.capture) {
        fixture_.drop_at_end(p_ + "_notes");
        exec(fmt::format(
            "CREATE TABLE {0}_notes (id bigint PRIMARY KEY, item_id bigint NOT NULL,"
            "  body text NOT NULL);"
            "ALTER TABLE {0}_notes REPLICA IDENTITY FULL;"
            "CREATE PUBLICATION {0} FOR TABLE {0}_items, {0}_parents, {0}_notes",
            p_));
        // A statement of its own: a slot is not made in a transaction that wrote.
        exec(fmt::format("SELECT pg_create_logical_replication_slot('{}', 'pgoutput')", p_));
    }
    for (const auto& t : {topic(), parents_topic(), delay_topic()}) {
        fixture_.create_topic_with_dead_letters(t, options_.partitions);
    }
    write_config();
}

Scenario::~Scenario() {
    stop_writer_ = true;
    if (writer_.joinable()) writer_.join();
    workers_.clear();
    if (!options_.capture) return;
    // The slot goes (an abandoned one holds WAL), then the publication, before the tables.
    try {
        pqxx::connection db(options_.postgres_url);
        pqxx::nontransaction tx(db);
        const std::string slot = tx.quote(p_);
        tx.exec("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots "
                "WHERE slot_name = " + slot + " AND active_pid IS NOT NULL");
        (void)test::wait_until(
            [&] {
                return tx.exec("SELECT 1 FROM pg_replication_slots WHERE active AND "
                               "slot_name = " + slot)
                    .empty();
            },
            10s, 100ms);
        tx.exec("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                "WHERE slot_name = " + slot);
        tx.exec("DROP PUBLICATION IF EXISTS " + p_);
    } catch (const std::exception& e) {
        std::cerr << "slot " << p_ << " left behind: " << e.what() << std::endl;
    }
}

void Scenario::exec(const std::string& sql) {
    pqxx::connection db(options_.postgres_url);
    pqxx::nontransaction tx(db);
    tx.exec(sql);
}

void Scenario::write_config() {
    std::string worker_url = options_.postgres_url;
    if (!options_.worker_pg_params.empty()) {
        worker_url += (worker_url.find('?') == std::string::npos ? "?" : "&");
        worker_url += options_.worker_pg_params;
    }
    const std::string notes =
        options_.capture
            ? fmt::format(",\n        'notes', (SELECT count(*) FROM {}_notes nt WHERE "
                          "nt.item_id = i.id)",
                          p_)
            : "";
    const std::string doc = fmt::format(
        "jsonb_build_object('title', i.title, 'n', i.n, 'parent', pa.name{1}) AS doc\n"
        "      FROM {0}_items i LEFT JOIN {0}_parents pa ON pa.id = i.parent_id",
        p_, notes);
    const std::string capture =
        options_.capture
            ? fmt::format("capture:\n  slot: {0}\n  publication: {0}\n  heartbeat: 1s\n", p_)
            : "";
    // A sub-select runs once per query (a plain call in WHERE would sleep once per row).
    const std::string pause =
        options_.pausable_query ? fmt::format(" AND (SELECT {}_pause())", p_) : "";
    auto config = fixture_.config();
    config.properties = test::quick_group_properties(options_.kafka_properties);
    config.postgres_url = worker_url;
    config.es_url = options_.es_url;
    config.es_timeout = options_.es_timeout;
    config.sections = fmt::format(
        R"(indexes:
  {p}_items:
    query: |
      SELECT i.id, {doc}
      WHERE i.id = ANY($1::bigint[]){pause}
    scan_query: |
      SELECT i.id, {doc}
    batch_size: {batch}
    batch_wait: 100ms
delayers:
  {p}_delay: {{ delay: 1s, target: {p}_items }}
cascades:
  {p}_cascade:
    topic: {p}_parents
    query: SELECT id FROM {p}_items WHERE parent_id = ANY($1::bigint[])
    target: {p}_items
    batch_size: {batch}
    batch_wait: 100ms
{capture})",
        fmt::arg("p", p_), fmt::arg("doc", doc), fmt::arg("pause", pause),
        fmt::arg("batch", options_.batch_size), fmt::arg("capture", capture));
    fixture_.write_config(config);
}

test::WorkerProcess& Scenario::start_worker(const std::string& slot, const std::string& binary) {
    auto& process = workers_[slot];
    const int run = ++starts_[slot];
    // The earlier process (if any) is reaped by its destructor.
    process = fixture_.start_worker(binary, fmt::format("{}.{}", slot, run));
    return *process;
}

test::WorkerProcess& Scenario::worker(const std::string& slot) {
    const auto it = workers_.find(slot);
    if (it == workers_.end() || !it->second) throw std::runtime_error("no worker in " + slot);
    return *it->second;
}

std::vector<std::string> Scenario::slots() const {
    std::vector<std::string> out;
    for (const auto& [slot, process] : workers_) out.push_back(slot);
    return out;
}

std::string Scenario::dead_workers() {
    std::string out;
    for (const auto& [slot, process] : workers_) {
        if (!process || process->running()) continue;
        const auto code = process->wait_exit(0ms);
        if (code != 0) {
            out += fmt::format("{} exited {}:\n{}\n", slot, code.value_or(-1),
                               tail(process->log(), 2000));
        }
    }
    return out;
}

std::string Scenario::logs(std::size_t bytes) const {
    std::string out;
    for (const auto& [slot, process] : workers_) {
        if (process) out += "--- " + slot + " ---\n" + tail(process->log(), bytes) + "\n";
    }
    return out;
}

void Scenario::seed_rows() {
    const std::int64_t parents =
        (options_.rows + options_.children_per_parent - 1) / options_.children_per_parent;
    exec(fmt::format(
        "INSERT INTO {0}_parents SELECT g, 'parent-' || g FROM generate_series(1, {1}) g;"
        "INSERT INTO {0}_items SELECT g, 'item-' || g, 0, (g - 1) / {2} + 1 "
        "FROM generate_series(1, {3}) g",
        p_, parents, options_.children_per_parent, options_.rows));
    updates_ += options_.rows;
    if (options_.capture) return;  // kt-capture reads the inserts from the slot
    std::vector<std::string> ids;
    for (std::int64_t i = 1; i <= options_.rows; ++i) ids.push_back(std::to_string(i));
    app::PublisherOptions publisher_options;
    publisher_options.kafka.brokers = options_.brokers;
    app::Publisher publisher(std::move(publisher_options));
    publisher.queue(topic(), ids);
    if (publisher.flush() != ids.size()) throw std::runtime_error("seed: not every id was sent");
}

void Scenario::start_writer(WriterMode mode, std::uint64_t seed) {
    stop_writer_ = false;
    writer_ = std::thread([this, mode, seed] { writer_loop(mode, seed); });
}

void Scenario::stop_writer() {
    stop_writer_ = true;
    if (writer_.joinable()) writer_.join();
}

void Scenario::captured_writer_loop(std::uint64_t seed) {
    // Like an application that sends nothing: one transaction per round updates 10 rows,
    // renames a parent (its children's documents change), adds a note to a row and removes
    // the oldest note (the child table), about 250 document changes a second.
    const std::int64_t parents =
        (options_.rows + options_.children_per_parent - 1) / options_.children_per_parent;
    std::vector<std::int64_t> order(static_cast<std::size_t>(options_.rows));
    std::iota(order.begin(), order.end(), 1);
    std::mt19937_64 rng(seed);
    std::shuffle(order.begin(), order.end(), rng);
    std::size_t cursor = 0;
    std::int64_t round = 0;
    std::int64_t next_note = 1;
    std::unique_ptr<pqxx::connection> db;
    while (!stop_writer_) {
        std::string keys = "{";
        for (std::size_t i = 0; i < 10; ++i) {
            keys += (i > 0 ? "," : "") + std::to_string(order[cursor]);
            cursor = (cursor + 1) % order.size();
        }
        keys += "}";
        ++round;
        try {
            if (!db) db = std::make_unique<pqxx::connection>(options_.postgres_url);
            pqxx::work tx(*db);
            std::int64_t changed = changed_rows(
                tx.exec_params(fmt::format("UPDATE {0}_items SET n = n + 1, title = 'item-' || "
                                           "id || '-r' || $2 WHERE id = ANY($1::bigint[])",
                                           p_),
                               keys, round));
            changed += changed_rows(
                           tx.exec_params(fmt::format("UPDATE {0}_parents SET name = 'parent-' || "
                                                      "id || '-r' || $2 WHERE id = $1",
                                                      p_),
                                          round % parents + 1, round)) *
                       options_.children_per_parent;
            changed +=
                changed_rows(tx.exec_params(fmt::format("INSERT INTO {0}_notes VALUES ($1, $2, "
                                                        "'note')",
                                                        p_),
                                            next_note, order[cursor]));
            changed +=
                changed_rows(tx.exec(fmt::format("DELETE FROM {0}_notes WHERE id = (SELECT min(id) "
                                                 "FROM {0}_notes) AND (SELECT count(*) FROM "
                                                 "{0}_notes) > 50",
                                                 p_)));
            tx.commit();
            ++next_note;
            updates_ += changed;
        } catch (const std::exception&) {
            // A commit whose outcome is unknown: the note's id may be taken, so a fresh one.
            ++next_note;
            ++writer_retries_;
            db.reset();
        }
        std::this_thread::sleep_for(40ms);  // pace
    }
}

void Scenario::writer_loop(WriterMode mode, std::uint64_t seed) {
    if (mode == WriterMode::kCaptured) {
        captured_writer_loop(seed);
        return;
    }
    // Like an application: a transaction changes a few rows; after COMMIT their ids are sent
    // (delay envelopes instead, or the parents' ids, by mode). Rows are taken in a shuffled
    // round-robin so that one id rarely changes twice within an indexer batch, which keeps the
    // write count comparable with the update count.
    const bool parents = mode == WriterMode::kParents;
    // About 250 document changes a second either way (a parent has children_per_parent).
    const std::size_t per_round = parents ? 2 : 10;
    const std::int64_t universe =
        parents ? (options_.rows + options_.children_per_parent - 1) / options_.children_per_parent
            : options_.rows;
    std::vector<std::int64_t> order(static_cast<std::size_t>(universe));
    std::iota(order.begin(), order.end(), 1);
    std::mt19937_64 rng(seed);
    std::shuffle(order.begin(), order.end(), rng);
    std::size_t cursor = 0;

    app::PublisherOptions publisher_options;
    publisher_options.kafka.brokers = options_.brokers;
    publisher_options.delay_topics[topic()] = delay_topic();
    publisher_options.flush_timeout = 60s;
    app::Publisher publisher(std::move(publisher_options));
    std::unique_ptr<pqxx::connection> db;
    std::vector<std::string> unsent;  // ids whose rows changed but Kafka has not acknowledged
    std::int64_t round = 0;

    const auto send = [&](const std::vector<std::string>& ids) {
        if (mode == WriterMode::kInstant) publisher.queue(topic(), ids);
        if (mode == WriterMode::kDelayed) publisher.delay(topic(), ids);
        if (mode == WriterMode::kParents) publisher.queue(parents_topic(), ids);
        publisher.flush();
    };

    while (!stop_writer_) {
        std::vector<std::string> ids;
        for (std::size_t i = 0; i < per_round; ++i) {
        ids.push_back(std::to_string(order[cursor]));
        cursor = (cursor + 1) % order.size();
        }
        std::string keys = "{";
        for (const auto& id : ids) keys += (keys.size() > 1 ? "," : "") + id;
        keys += "}";
        ++round;
        try {
        if (!db) db = std::make_unique<pqxx::connection>(options_.postgres_url);
        pqxx::work tx(*db);
        // A commit whose outcome is unknown (the server died) still sends the ids below:
        // an application that cannot tell sends them too, and a resend is harmless.
        unsent.insert(unsent.end(), ids.begin(), ids.end());
        std::int64_t changed = 0;
        if (parents) {
            const auto r = tx.exec_params(
                fmt::format("UPDATE {0}_parents SET name = 'parent-' || id || '-r' || $2 "
                            "WHERE id = ANY($1::bigint[])",
                            p_),
                keys, round);
            changed = changed_rows(r) * options_.children_per_parent;
        } else {
            const auto r = tx.exec_params(
                fmt::format("UPDATE {0}_items SET n = n + 1, title = 'item-' || id || '-r' "
                            "|| $2 WHERE id = ANY($1::bigint[])",
                            p_),
                keys, round);
            changed = changed_rows(r);
        }
        tx.commit();
        updates_ += changed;
        } catch (const std::exception&) {
        ++writer_retries_;
        db.reset();
        }
        try {
        if (!unsent.empty()) {
            send(unsent);
            unsent.clear();
        }
        } catch (const std::exception&) {
        ++writer_retries_;  // sent again with the next round
        }
        std::this_thread::sleep_for(40ms);  // pace: about 250 row changes a second
    }
    // Everything changed must be announced before the writer counts as stopped.
    while (!unsent.empty()) {
        try {
        send(unsent);
        unsent.clear();
        } catch (const std::exception&) {
        ++writer_retries_;
        }
    }
}

void Scenario::set_query_pause(int ms) {
    exec(fmt::format("UPDATE {}_fault SET pause_ms = {}", p_, ms));
}

Scenario::Convergence Scenario::converge(std::chrono::milliseconds timeout) {
    const auto config = config::load_file(config_path());
    const auto* index_config = config.find_index(index());
    if (index_config == nullptr) throw std::runtime_error("index missing from the config");
    Convergence out;
    const auto started = std::chrono::steady_clock::now();
    out.converged = test::wait_until(
        [&] {
        try {
            workers::Verifier verifier(config, *index_config);
            out.report = verifier.compare();
            return out.report.clean();
        } catch (const std::exception& e) {
            out.report.missing = {std::string("comparison failed: ") + e.what()};
            return false;
        }
        },
        timeout, 250ms);
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return out;
}

std::int64_t Scenario::documents_written() const {
    httplib::Client client(options_.es_url);
    const auto res = client.Get("/_standin/stats");
    if (!res) return -1;
    if (res->status != 200) {
        // A real server: operations on the primaries of the index's physical indices, counted
        // by sequence number (indexing stats start again from 0 when the server restarts).
        const auto shards = client.Get("/" + index() + "*/_stats/indexing?level=shards");
        if (!shards || shards->status != 200) return -1;
        const json stats = json::parse(shards->body);
        std::int64_t operations = 0;
        for (const auto& [name, physical] : stats.at("indices").items()) {
        for (const auto& [id, copies] : physical.at("shards").items()) {
            for (const auto& copy : copies) {
                if (!copy.at("routing").value("primary", false)) continue;
                operations += copy.at("seq_no").value("max_seq_no", std::int64_t{-1}) + 1;
            }
        }
        }
        return operations;
    }
    const json stats = json::parse(res->body);
    std::int64_t written = 0;
    if (!stats.contains("docs_written")) return 0;
    const json& docs = stats.at("docs_written");
    for (auto it = docs.begin(); it != docs.end(); ++it) {
        if (it.key().starts_with(index())) written += it.value().get<std::int64_t>();
    }
    return written;
}

ReportRow Scenario::row(const std::string& fault, std::uint64_t seed,
                    const Convergence& convergence, std::string note) const {
    ReportRow r;
    r.fault = fault;
    r.seed = seed;
    r.updates = updates();
    r.checked = convergence.report.rows;
    r.lost = convergence.report.missing.size() + convergence.report.stale.size() +
         convergence.report.extra.size();
    r.writes = documents_written();
    r.duplicates = std::max<std::int64_t>(0, r.writes - r.updates);
    r.converge_seconds = convergence.seconds;
    r.note = std::move(note);
    return r;
}

std::string examples(const workers::VerifyReport& report) {
    const auto first = [](const std::vector<std::string>& ids) {
        std::string out;
        for (std::size_t i = 0; i < ids.size() && i < 5; ++i) out += (i ? "," : "") + ids[i];
        return out;
    };
    return fmt::format("missing {} ({}), stale {} ({}), extra {} ({})", report.missing.size(),
                   first(report.missing), report.stale.size(), first(report.stale),
                   report.extra.size(), first(report.extra));
}

ReportRow finish_run(Scenario& scenario, const std::string& fault, std::uint64_t seed,
                 std::string note, Scenario::Convergence* out) {
    scenario.stop_writer();
    const auto convergence = scenario.converge(kConvergeDeadline);
    ReportRow r = scenario.row(fault, seed, convergence, std::move(note));
    record(r);
    if (out != nullptr) *out = convergence;
    return r;
}

::testing::AssertionResult nothing_lost(Scenario& scenario,
                                    const Scenario::Convergence& convergence,
                                    const ReportRow& row) {
    std::vector<std::string> problems;
    if (!convergence.converged) {
        problems.push_back("not converged: " + examples(convergence.report));
    }
    if (row.lost != 0) problems.push_back(fmt::format("{} update(s) lost", row.lost));
    const auto rows = static_cast<std::size_t>(scenario.options().rows);
    if (row.checked != rows) {
        problems.push_back(fmt::format("{} of {} rows checked", row.checked, rows));
    }
    if (const std::string dead = scenario.dead_workers(); !dead.empty()) {
        problems.push_back("workers died: " + dead);
    }
    if (problems.empty()) return ::testing::AssertionSuccess();
    std::string text;
    for (const auto& p : problems) text += p + "\n";
    return ::testing::AssertionFailure() << text << scenario.logs();
}

}  // namespace kt::reliability
