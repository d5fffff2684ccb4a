// kt: the one-shot CLI: check, produce, reindex, verify, status, capture.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cmd/common/worker_main.hpp"
#include "cmd/kt/check.hpp"
#include "cmd/kt/guard.hpp"
#include "cmd/kt/produce.hpp"
#include "cmd/kt/capture.hpp"
#include "cmd/kt/reindex.hpp"
#include "cmd/kt/status.hpp"
#include "cmd/kt/verify.hpp"
#include "lib/config/duration.hpp"
#include "lib/config/loader.hpp"
#include "lib/log/log.hpp"

int main(int argc, char** argv) {
    CLI::App app{"kt: keeps Elasticsearch indexes in sync with PostgreSQL through Kafka"};
    kt::cmd::add_version_and_defaults(app, "kt");
    app.require_subcommand(1);
    std::string config_path = kt::config::default_config_path();
    std::string log_format = "text";
    app.add_option("--config", config_path,
                   "config file (default $KT_CONFIG, then config/kt.yaml)");
    app.add_option("--log-format", log_format, "text or json")
        ->check(CLI::IsMember({"text", "json"}));

    auto* check = app.add_subcommand(
        "check", "validate the config, connect to everything, report each problem on its own line");
    bool offline = false;
    check->add_option("--config", config_path, "config file");
    check->add_flag("--offline", offline, "only validate the config, connect to nothing");

    auto* produce =
        app.add_subcommand("produce", "send instant messages ({\"id\": …}, keyed by id)");
    kt::cmd::ProduceArgs produce_args;
    std::string produce_timeout = "30s";
    produce->add_option("--config", config_path, "config file");
    produce->add_option("topic", produce_args.topic, "model topic")->required();
    produce->add_option("ids", produce_args.ids, "ids")->required();
    produce->add_flag(
        "--delay", produce_args.delay,
        "send delay envelopes to TOPIC's first delay stage instead of instant messages");
    produce->add_flag("--any-topic", produce_args.any_topic,
                      "send even when no index or cascade of the config reads TOPIC");
    produce->add_option("--timeout", produce_timeout,
                        "how long to wait for Kafka's acknowledgements in all (e.g. 30s, 2m)");

    auto* verify = app.add_subcommand(
        "verify", "compare every row with the index: missing, extra and stale documents");
    std::string verify_index;
    bool fix = false;
    verify->add_option("--config", config_path, "config file");
    verify->add_option("index", verify_index, "index (alias) name")->required();
    verify->add_flag("--fix", fix, "re-index missing and stale documents, delete extra ones");

    auto* reindex = app.add_subcommand(
        "reindex", "rebuild an index from a consistent snapshot and move its alias to it");
    kt::cmd::ReindexArgs reindex_args;
    reindex->add_option("--config", config_path, "config file");
    reindex->add_option("index", reindex_args.index, "index (alias) name")->required();
    int parallel = 1;
    auto* parallel_option =
        reindex->add_option("--parallel", parallel, "snapshot readers (default 1)")
            ->check(CLI::Range(1, 64));
    reindex
        ->add_option("--batch-size", reindex_args.batch_size,
                     "rows per bulk request (default: the index's batch_size)")
        ->check(CLI::Range(1, 100000));
    reindex->add_flag("--keep-old", reindex_args.keep_old, "keep the old index after the swap");
    reindex->add_flag("--no-swap", reindex_args.no_swap,
                      "build the new index but leave the alias where it is");
    std::string ids_text;
    std::string ids_file_text;
    auto* ids_option =
        reindex->add_option("--ids", ids_text, "re-index just these ids in place (1,2,3)");
    auto* ids_file_option =
        reindex->add_option("--ids-file", ids_file_text,
                            "re-index the ids in this file in place (commas or line breaks)");

    auto* status = app.add_subcommand(
        "status", "per consumer group and partition: committed offset, end, lag, messages/s");
    kt::cmd::StatusArgs status_args;
    int serve_port = -1;
    status->add_option("--config", config_path, "config file");
    status->add_option("--interval", status_args.interval,
                       "time between the two looks at the committed offsets (default 1s)");
    status->add_option("--worker", status_args.workers,
                       "URL of a running worker's status port to merge in (repeatable)");
    status
        ->add_option("--serve", serve_port,
                     "serve the status page on this port instead of printing (0: any free port)")
        ->check(CLI::Range(0, 65535));

    auto* capture = app.add_subcommand(
        "capture", "set up or remove kt-capture's publication and replication slot");
    capture->require_subcommand(1);
    auto* capture_init = capture->add_subcommand(
        "init", "create the publication and the slot, then rebuild the indexes (kt reindex)");
    std::vector<std::string> capture_indexes;
    capture_init->add_option("--config", config_path, "config file");
    capture_init->add_option("index", capture_indexes, "indexes to rebuild (default: every one)");
    auto* capture_drop =
        capture->add_subcommand("drop", "remove the slot and the publication");
    capture_drop->add_option("--config", config_path, "config file");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }
    kt::log::configure(kt::log::parse_format(log_format), kt::log::Level::kInfo);

    if (reindex->parsed()) {
        if (ids_option->count() > 0) reindex_args.ids = ids_text;
        if (ids_file_option->count() > 0) reindex_args.ids_file = ids_file_text;
        if (parallel_option->count() > 0) reindex_args.parallel = parallel;
        if (const auto error = kt::cmd::reindex_usage_error(reindex_args)) {
            fmt::print(stderr, "kt reindex: {}\n", *error);
            return 2;
        }
    }

    // The commands kt suggests repeat kt's own options where the user gave them.
    const auto given_options = [&](const CLI::App* subcommand) {
        kt::cmd::GlobalOptions given;
        if (app.count("--config") + subcommand->count("--config") > 0) {
            given.config_path = config_path;
        }
        if (app.count("--log-format") > 0) given.log_format = log_format;
        return given;
    };
    return kt::cmd::run_guarded([&]() -> int {
        if (check->parsed()) return kt::cmd::run_check(config_path, offline);
        if (produce->parsed()) {
            const auto config = kt::cmd::load_config_or_report(config_path);
            if (!config) return 2;
            const auto timeout = kt::config::parse_duration(produce_timeout);
            if (!timeout || timeout->count() <= 0) {
                fmt::print(stderr,
                           "kt produce: --timeout: bad duration '{}' (write e.g. 30s, 2m)\n",
                           produce_timeout);
                return 2;
            }
            produce_args.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*timeout);
            return kt::cmd::run_produce(*config, produce_args);
        }
        if (reindex->parsed()) {
            const auto config = kt::cmd::load_config_or_report(config_path);
            if (!config) return 2;
            return kt::cmd::run_reindex(*config, reindex_args, given_options(reindex));
        }
        if (status->parsed()) {
            if (serve_port >= 0) status_args.serve_port = serve_port;
            // Before any other thread starts: SIGTERM/SIGINT stop the page's server cleanly.
            std::stop_source stop = serve_port >= 0 ? kt::cmd::install_stop_signals()
                                                    : std::stop_source(std::nostopstate);
            const auto config = kt::cmd::load_config_or_report(config_path);
            if (!config) return 2;
            return kt::cmd::run_status(*config, status_args, stop.get_token());
        }
        if (capture_init->parsed() || capture_drop->parsed()) {
            const auto config = kt::cmd::load_config_or_report(config_path);
            if (!config) return 2;
            if (capture_drop->parsed()) return kt::cmd::run_capture_drop(*config);
            return kt::cmd::run_capture_init(*config, capture_indexes,
                                             given_options(capture_init));
        }
        if (verify->parsed()) {
            const auto config = kt::cmd::load_config_or_report(config_path);
            if (!config) return 2;
            return kt::cmd::run_verify(*config, verify_index, fix, given_options(verify));
        }
        return 2;
    });
}
