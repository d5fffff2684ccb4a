#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lib/config/config.hpp"
#include "lib/config/interpolate.hpp"
#include "lib/error.hpp"

namespace kt::config {

/// One thing wrong with a config file.
struct Problem {
    std::string path;  ///< key path such as `indexes.products.batch_size`; empty for the file
    int line = 0;      ///< 1-based line in the file, 0 when unknown
    std::string message;
};

/// A config file that cannot be used; lists every problem found, not just the first.
/// Messages never contain secret values.
class ConfigError : public Error {
public:
    ConfigError(std::string file, std::vector<Problem> problems);

    /// The file that was loaded.
    [[nodiscard]] const std::string& file() const noexcept { return file_; }
    /// Every problem, in file order.
    [[nodiscard]] const std::vector<Problem>& problems() const noexcept { return problems_; }
    /// One line per problem: `FILE:LINE: PATH: MESSAGE`.
    [[nodiscard]] std::vector<std::string> lines() const;

private:
    std::string file_;
    std::vector<Problem> problems_;
};

/// Reads, interpolates and validates a config file; throws ConfigError.
Config load_file(const std::string& path, const EnvLookup& env = process_env());

/// Same as load_file for text already in memory; `name` is used in messages and relative
/// `mappings_file` paths are resolved against `base_dir`.
Config load_string(std::string_view yaml, const std::string& name, const std::string& base_dir,
                   const EnvLookup& env = process_env());

/// The path kt uses when `--config` is not given: `$KT_CONFIG`, else `config/kt.yaml`.
std::string default_config_path(const EnvLookup& env = process_env());

}  // namespace kt::config
