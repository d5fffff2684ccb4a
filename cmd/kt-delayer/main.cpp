// kt-delayer: holds kafka_tools delay envelopes until due, then re-publishes their payloads.
#include "cmd/common/worker_main.hpp"
#include "workers/delayer/delayer.hpp"

int main(int argc, char** argv) {
    kt::cmd::WorkerSpec spec;
    spec.program = "kt-delayer";
    spec.description =
        "kt-delayer: holds delay messages until due, then re-publishes their payloads";
    spec.name_option = "--delayer";
    spec.section = "delayers";
    spec.names = [](const kt::config::Config& config) {
        std::vector<std::string> out;
        for (const auto& d : config.delayers) out.push_back(d.name);
        return out;
    };
    spec.make = [](const kt::config::Config& config, const std::string& name,
                   kt::metrics::Registry& registry) {
        const auto& delayer = *config.find_delayer(name);
        return std::make_unique<kt::workers::Delayer>(config, delayer, registry,
                                                      kt::workers::delayer_io(config, delayer));
    };
    // Only Kafka: the delayer never touches PostgreSQL or Elasticsearch.
    spec.dependencies = [](const kt::config::Config& config,
                           const std::vector<std::string>& names) {
        return kt::workers::Dependencies{config.find_delayer(names.front())->topic, false, false};
    };
    return kt::cmd::run_worker_main(argc, argv, spec);
}
