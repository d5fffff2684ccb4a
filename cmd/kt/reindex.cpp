#include "cmd/kt/reindex.hpp"

#include <fmt/format.h>
#include <csignal>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <stop_token>
#include <thread>

#include "lib/app/options_from_config.hpp"
#include "lib/error.hpp"
#include "lib/non_copyable.hpp"
#include "lib/pg/scan_source.hpp"
#include "workers/reindex/ids.hpp"
#include "workers/reindex/plan.hpp"
#include "workers/reindex/reindexer.hpp"

namespace kt::cmd {

namespace {

using namespace std::chrono_literals;

std::atomic<int> g_signal{0};

extern "C" void on_signal(int signal) {
    g_signal.store(signal);
}

/// SIGINT and SIGTERM request a stop while it lives; the previous handlers come back after.
class StopOnSignal : private NonCopyable {
public:
    StopOnSignal() {
        g_signal.store(0);
        struct sigaction action {};
        action.sa_handler = &on_signal;
        sigemptyset(&action.sa_mask);
        sigaction(SIGINT, &action, &old_int_);
        sigaction(SIGTERM, &action, &old_term_);
        watcher_ = std::jthread([this](std::stop_token done) {
            while (!done.stop_requested()) {
                if (g_signal.load() != 0) source_.request_stop();
                std::this_thread::sleep_for(50ms);
            }
        });
    }
    ~StopOnSignal() {
        watcher_.request_stop();
        watcher_.join();
        sigaction(SIGINT, &old_int_, nullptr);
        sigaction(SIGTERM, &old_term_, nullptr);
    }

    [[nodiscard]] std::stop_token token() const { return source_.get_token(); }

private:
    std::stop_source source_;
    struct sigaction old_int_ {};
    struct sigaction old_term_ {};
    std::jthread watcher_;
};

int reindex_ids_in_place(const config::Config& config, const config::IndexConfig& index,
                         const ReindexArgs& args, const GlobalOptions& given) {
    std::string text = args.ids.value_or("");
    if (args.ids_file) {
        std::ifstream in(*args.ids_file, std::ios::binary);
        if (!in) {
            fmt::print(stderr, "kt reindex: cannot read {}\n", *args.ids_file);
            return 2;
        }
        std::ostringstream file;
        file << in.rdbuf();
        text += "\n" + file.str();
    }
    const std::vector<std::string> ids = workers::parse_id_list(text);  // each id once
    if (ids.empty()) {
        fmt::print(stderr, "kt reindex: no id given (--ids and --ids-file name none)\n");
        return 2;
    }
    // --batch-size sets how many ids go into one load and one bulk request, as for a rebuild.
    config::IndexConfig chunked = index;
    if (args.batch_size > 0) chunked.batch_size = args.batch_size;
    StopOnSignal signals;
    const workers::IdsResult result =
        workers::reindex_ids(config, chunked, ids, {}, signals.token());
    fmt::print("reindex {}: {} id(s): {} document(s) indexed, {} deleted", index.name, ids.size(),
               result.indexed, result.deleted);
    if (result.foreign > 0) {
        fmt::print("; {} met another writer's version", result.foreign);
    }
    fmt::print("\n");
    for (const std::string& failure : result.failed) fmt::print(stderr, "refused: {}\n", failure);
    for (const workers::RejectedId& rejected : result.rejected) {
        fmt::print(stderr, "rejected: {}: {}\n", rejected.id, rejected.reason);
    }
    for (const workers::Unrepaired& left : result.unrepaired) {
        fmt::print(stderr, "not rewritten: {}: {} (version {})\n", left.id,
                   left.ahead ? fmt::format("another writer's external version is ahead of "
                                            "PostgreSQL; a full `{}` rebuilds the index",
                                            suggest_command(given, "reindex", {index.name}))
                              : "another writer changed it again meanwhile",
                   left.version);
    }
    if (signals.token().stop_requested()) {
        fmt::print(stderr, "reindex {}: interrupted\n", index.name);
        return 1;
    }
    return result.failed.empty() && result.rejected.empty() && result.unrepaired.empty() ? 0 : 1;
}

}  // namespace

std::optional<std::string> reindex_usage_error(const ReindexArgs& args) {
    if (!args.ids && !args.ids_file) return std::nullopt;
    std::vector<std::string> conflicts;
    if (args.parallel) conflicts.emplace_back("--parallel");
    if (args.keep_old) conflicts.emplace_back("--keep-old");
    if (args.no_swap) conflicts.emplace_back("--no-swap");
    const std::string given = args.ids ? "--ids" : "--ids-file";
    if (!conflicts.empty()) {
        return fmt::format(
            "{} cannot be combined with {}: ids are re-indexed in place, those options are for a "
            "full rebuild",
            given, fmt::join(conflicts, ", "));
    }
    if (args.ids && workers::parse_id_list(*args.ids).empty()) {
        return "--ids names no id (give ids such as --ids 1,2,3)";
    }
    return std::nullopt;
}

int run_reindex(const config::Config& config, const ReindexArgs& args,
                const GlobalOptions& given) {
    if (const auto error = reindex_usage_error(args)) {
        fmt::print(stderr, "kt reindex: {}\n", *error);
        return 2;
    }
    const config::IndexConfig* index = config.find_index(args.index);
    if (index == nullptr) {
        fmt::print(stderr, "kt reindex: no index '{}' in {}\n", args.index, config.path);
        return 2;
    }
    try {
        if (args.ids || args.ids_file) {
            return reindex_ids_in_place(config, *index, args, given);
        }
        const pg::IndexSource source = app::pg_source(*index);
        if (const pg::ScanChoice scan = pg::choose_scan(source);
            scan.origin == pg::ScanOrigin::kRefused) {
            fmt::print(stderr, "kt reindex: {}\n", pg::scan_refusal_message(source, scan));
            return 2;
        }
        const bool terminal = isatty(STDERR_FILENO) == 1;
        workers::ReindexOptions options;
        options.parallel = args.parallel.value_or(1);
        options.batch_size = args.batch_size;
        options.keep_old = args.keep_old;
        options.no_swap = args.no_swap;
        options.snapshot_id = args.snapshot_id;
        options.progress_every = terminal ? 200ms : 5s;
        options.on_progress = [&](const workers::ProgressSnapshot& p) {
            if (terminal) {
                fmt::print(stderr, "\r{}\033[K", workers::progress_bar(p));
            } else {
                fmt::print(stderr, "{}\n", workers::progress_line(index->name, p));
            }
            std::fflush(stderr);
        };
        StopOnSignal signals;
        workers::ReindexResult result;
        try {
            result = workers::Reindexer(config, *index, options).run(signals.token());
        } catch (const workers::ReindexInterrupted&) {
            if (terminal) fmt::print(stderr, "\n");
            fmt::print(stderr,
                       "reindex {}: interrupted; the new index was deleted and the alias is "
                       "unchanged\n",
                       index->name);
            return 1;
        }
        if (terminal) fmt::print(stderr, "\n");
        const double rate =
            result.load_seconds > 0 ? static_cast<double>(result.rows) / result.load_seconds : 0;
        fmt::print(
            "reindex {}: {} rows into {} from snapshot {} ({}) in {:.1f}s ({:.0f} rows/s), {} "
            "id(s) caught up from {}\n",
            index->name, result.rows, result.new_index, result.snapshot_id,
            result.imported ? "imported" : "its own", result.total_seconds, rate,
            result.caught_up, index->topic);
        if (result.swapped) {
            fmt::print("reindex {}: alias {} now points at {}{}\n", index->name, index->name,
                       result.new_index,
                       result.old_indices.empty()
                           ? ""
                           : fmt::format("; {} {}", args.keep_old ? "kept" : "deleted",
                                         fmt::join(result.old_indices, ", ")));
        } else {
            fmt::print("reindex {}: --no-swap: {} is ready; the alias is unchanged\n", index->name,
                       result.new_index);
        }
        return 0;
    } catch (const workers::SwapNotFinished& e) {
        fmt::print(stderr, "kt reindex {}: {}; run `{}` and delete the old index by hand\n",
                   args.index, e.what(), suggest_command(given, "verify", {args.index, "--fix"}));
        return 1;
    } catch (const Error& e) {
        fmt::print(stderr, "kt reindex {}: {}\n", args.index, e.what());
        return 1;
    }
}

}  // namespace kt::cmd
