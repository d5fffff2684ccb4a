// Helpers shared by the tests of the config loader: a made-up environment and the text of a
// ConfigError's problems.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "lib/config/loader.hpp"

namespace kt::config {

/// A variable lookup that knows only `vars`, in place of the process environment.
inline EnvLookup env_of(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

/// Every problem line of `error`, each ending in a newline.
inline std::string problem_lines(const ConfigError& error) {
    std::string all;
    for (const auto& line : error.lines()) all += line + "\n";
    return all;
}

}  // namespace kt::config
