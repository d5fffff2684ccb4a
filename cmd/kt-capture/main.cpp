// kt-capture: committed row changes from PostgreSQL's WAL -> ids on the model topics.
#include "cmd/common/worker_main.hpp"
#include "workers/capture/capture.hpp"

int main(int argc, char** argv) {
    kt::cmd::WorkerSpec spec;
    spec.program = "kt-capture";
    spec.description =
        "kt-capture: turns committed row changes (a logical replication slot) into the ids of "
        "the documents they feed, on each index's topic";
    spec.name_option = "--slot";
    spec.section = "capture";
    spec.names = [](const kt::config::Config& config) {
        std::vector<std::string> out;
        if (config.capture) out.push_back(config.capture->slot);
        return out;
    };
    spec.make = [](const kt::config::Config& config, const std::string&,
                   kt::metrics::Registry& registry) {
        return std::make_unique<kt::workers::Capture>(config, registry);
    };
    spec.dependencies = [](const kt::config::Config& config, const std::vector<std::string>&) {
        return kt::workers::Dependencies{config.indexes.front().topic, true, false};
    };
    return kt::cmd::run_worker_main(argc, argv, spec);
}
