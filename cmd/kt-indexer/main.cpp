// kt-indexer: Kafka ids -> PostgreSQL rows -> Elasticsearch bulk, at-least-once.
#include "cmd/common/worker_main.hpp"
#include "workers/indexer/indexer.hpp"

int main(int argc, char** argv) {
    kt::cmd::WorkerSpec spec;
    spec.program = "kt-indexer";
    spec.description = "kt-indexer: keeps Elasticsearch indexes equal to their PostgreSQL rows";
    spec.name_option = "--index";
    spec.section = "indexes";
    spec.names = [](const kt::config::Config& config) {
        std::vector<std::string> out;
        for (const auto& ix : config.indexes) out.push_back(ix.name);
        return out;
    };
    spec.make = [](const kt::config::Config& config, const std::string& name,
                   kt::metrics::Registry& registry) {
        const kt::config::IndexConfig& index = *config.find_index(name);
        return std::make_unique<kt::workers::Indexer>(config, index, registry,
                                                      kt::workers::indexer_io(config, index));
    };
    spec.dependencies = [](const kt::config::Config& config,
                           const std::vector<std::string>& names) {
        return kt::workers::Dependencies{config.find_index(names.front())->topic, true, true};
    };
    return kt::cmd::run_worker_main(argc, argv, spec);
}
