#include "cmd/kt/check.hpp"

#include <fmt/format.h>

#include "lib/config/loader.hpp"

namespace kt::cmd {

int run_check(const std::string& config_path) {
    try {
        const auto cfg = config::load_file(config_path);
        fmt::print("config {}: ok ({} index(es), {} delayer(s), {} cascade(s))\n", config_path,
                   cfg.indexes.size(), cfg.delayers.size(), cfg.cascades.size());
        return 0;
    } catch (const config::ConfigError& e) {
        for (const auto& line : e.lines()) fmt::print(stderr, "{}\n", line);
        fmt::print(stderr, "config {}: {} problem(s)\n", config_path, e.problems().size());
        return 2;
    }
}

}  // namespace kt::cmd
