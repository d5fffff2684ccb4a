// kt: the one-shot CLI (check; reindex, verify, produce and status join as they are built).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cmd/kt/check.hpp"
#include "cmd/kt/produce.hpp"
#include "lib/config/loader.hpp"
#include "lib/error.hpp"
#include "lib/log/log.hpp"

int main(int argc, char** argv) {
    CLI::App app{"kt: keeps Elasticsearch indexes in sync with PostgreSQL through Kafka"};
    app.require_subcommand(1);
    std::string config_path = kt::config::default_config_path();
    std::string log_format = "text";
    app.add_option("--config", config_path, "config file (default $KT_CONFIG, then config/kt.yaml)");
    app.add_option("--log-format", log_format, "text or json")->check(CLI::IsMember({"text", "json"}));

    auto* check = app.add_subcommand(
        "check", "validate the config, connect to everything, report each problem on its own line");
    bool offline = false;
    check->add_option("--config", config_path, "config file");
    check->add_flag("--offline", offline, "only validate the config, connect to nothing");

    auto* produce = app.add_subcommand("produce", "send instant messages ({\"id\": …}, keyed by id)");
    std::string topic;
    std::vector<std::string> ids;
    produce->add_option("--config", config_path, "config file");
    produce->add_option("topic", topic, "model topic")->required();
    produce->add_option("ids", ids, "ids")->required();
    bool delay = false;
    produce->add_flag("--delay", delay,
                      "send delay envelopes to TOPIC's first delay stage instead of instant messages");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }
    kt::log::configure(kt::log::parse_format(log_format), kt::log::Level::kInfo);

    try {
        if (check->parsed()) return kt::cmd::run_check(config_path, offline);
        if (produce->parsed()) {
            const auto config = kt::cmd::load_config_or_report(config_path);
            if (!config) return 2;
            return kt::cmd::run_produce(*config, topic, ids, delay);
        }
    } catch (const kt::Error& e) {
        kt::log::error("{}", e.what());
        return 1;
    }
    return 2;
}
