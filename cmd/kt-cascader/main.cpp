// kt-cascader: parent ids -> association query -> child ids on the child model topic.
#include "cmd/common/worker_main.hpp"
#include "workers/cascader/cascader.hpp"

int main(int argc, char** argv) {
    kt::cmd::WorkerSpec spec;
    spec.program = "kt-cascader";
    spec.description = "kt-cascader: re-indexes child documents when their parent row changes";
    spec.name_option = "--cascade";
    spec.section = "cascades";
    spec.names = [](const kt::config::Config& config) {
        std::vector<std::string> out;
        for (const auto& c : config.cascades) out.push_back(c.name);
        return out;
    };
    spec.make = [](const kt::config::Config& config, const std::string& name,
                   kt::metrics::Registry& registry) {
        const kt::config::CascadeConfig& cascade = *config.find_cascade(name);
        return std::make_unique<kt::workers::Cascader>(config, cascade, registry,
                                                       kt::workers::cascader_io(config, cascade));
    };
    spec.dependencies = [](const kt::config::Config& config,
                           const std::vector<std::string>& names) {
        return kt::workers::Dependencies{config.find_cascade(names.front())->topic, true, false};
    };
    return kt::cmd::run_worker_main(argc, argv, spec);
}
