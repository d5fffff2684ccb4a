// Helpers shared by the tests of docker/: reading repository files, running the built kt with
// a chosen environment, reading the Dockerfile and scripts/install-deps.sh.
#pragma once

#include <fmt/format.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "lib/config/loader.hpp"
#include "tests/support/run_command.hpp"

namespace kt::test::docker {

namespace fs = std::filesystem;

/// Absolute path of `relative` inside the source tree.
inline fs::path source_path(const std::string& relative) {
    return fs::path(KT_SOURCE_DIR) / relative;
}

/// Whole text of a file; throws std::runtime_error naming it when it cannot be read.
inline std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// `text` quoted for /bin/sh.
inline std::string shell_quote(const std::string& text) {
    std::string out = "'";
    for (const char c : text) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    return out + "'";
}

/// Runs `command` (already quoted) in folder `cwd` with exactly `env` plus a PATH holding the
/// built executables first, as a container with that environment would.
inline CommandResult run_with_env(const std::map<std::string, std::string>& env,
                                  const std::string& command,
                                  const std::string& cwd = KT_SOURCE_DIR) {
    std::string line = "cd " + shell_quote(cwd) + " && env -i PATH=" +
                       shell_quote(std::string(KT_BINARY_DIR) + "/cmd:/usr/bin:/bin");
    for (const auto& [name, value] : env) line += " " + shell_quote(name + "=" + value);
    return run_command(line + " " + command);
}

/// `kt check --offline --config path` with exactly `env` set.
inline CommandResult kt_check_offline(const fs::path& config,
                                      const std::map<std::string, std::string>& env) {
    return run_with_env(env, shell_quote(std::string(KT_BINARY_DIR) + "/cmd/kt") +
                                 " check --offline --config " + shell_quote(config.string()));
}

/// A config loaded with a given environment, and every variable its `${VAR}`s asked for.
struct LoadedConfig {
    std::optional<config::Config> config;  ///< nullopt when loading failed
    std::string error;                     ///< the loader's lines when it failed
    std::set<std::string> variables;       ///< every variable the file uses
};

/// Loads `path` looking variables up in `env` only (never the test's own environment).
inline LoadedConfig load_config(const fs::path& path,
                                const std::map<std::string, std::string>& env) {
    LoadedConfig out;
    const config::EnvLookup lookup = [&env,
                                      &out](const std::string& name) -> std::optional<std::string> {
        out.variables.insert(name);
        const auto it = env.find(name);
        if (it == env.end()) return std::nullopt;
        return it->second;
    };
    try {
        out.config = config::load_file(path.string(), lookup);
    } catch (const config::ConfigError& e) {
        for (const auto& line : e.lines()) out.error += line + "\n";
    }
    return out;
}

/// Every topic `config` reads or writes: index topics, delay topics, parent topics, targets and
/// dead-letter topics.
inline std::set<std::string> topics_of(const config::Config& config) {
    std::set<std::string> out;
    for (const auto& ix : config.indexes) out.insert({ix.topic, ix.dead_letter_topic});
    for (const auto& d : config.delayers) out.insert({d.topic, d.target, d.dead_letter_topic});
    for (const auto& c : config.cascades) out.insert({c.topic, c.target, c.dead_letter_topic});
    return out;
}

/// Whitespace-separated words of `text`.
inline std::vector<std::string> words(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

/// The packages of scripts/install-deps.sh (its `packages=( ... )` list).
inline std::set<std::string> install_deps_packages() {
    const std::string text = read_text(source_path("scripts/install-deps.sh"));
    const auto begin = text.find("packages=(");
    if (begin == std::string::npos) throw std::runtime_error("install-deps.sh: no packages=( list");
    const auto end = text.find(')', begin);
    std::set<std::string> out;
    for (const auto& w : words(text.substr(begin + 10, end - begin - 10))) out.insert(w);
    return out;
}

/// One instruction of a Dockerfile, continuation lines joined.
struct DockerInstruction {
    int stage = -1;       ///< index of the FROM it belongs to (-1 before the first)
    int line = 0;         ///< 1-based line where it starts
    std::string keyword;  ///< upper case, e.g. RUN
    std::string args;     ///< the rest, continuation backslashes removed
};

/// A Dockerfile read into instructions and stages.
struct Dockerfile {
    std::vector<DockerInstruction> instructions;
    std::vector<std::string> stage_images;  ///< image of each FROM
    std::vector<std::string> stage_names;   ///< name after AS, empty when none

    /// Instructions with `keyword` in `stage` (every stage when -1).
    [[nodiscard]] std::vector<DockerInstruction> all(const std::string& keyword,
                                                     int stage = -1) const {
        std::vector<DockerInstruction> out;
        for (const auto& i : instructions) {
            if (i.keyword == keyword && (stage < 0 || i.stage == stage)) out.push_back(i);
        }
        return out;
    }
};

inline std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

/// Parses a Dockerfile: comments dropped, `\` continuations joined, stages numbered.
inline Dockerfile parse_dockerfile(const std::string& text) {
    Dockerfile out;
    std::istringstream in(text);
    std::string line;
    int number = 0;
    DockerInstruction current;
    bool continued = false;
    while (std::getline(in, line)) {
        ++number;
        const std::string t = trim(line);
        if (t.empty() || t[0] == '#') continue;  // also inside a continuation, as docker does
        std::string part = t;
        const bool more = part.back() == '\\';
        if (more) part = trim(part.substr(0, part.size() - 1));
        if (!continued) {
            current = DockerInstruction{};
            current.line = number;
            const auto space = part.find_first_of(" \t");
            current.keyword = part.substr(0, space);
            for (auto& c : current.keyword) c = static_cast<char>(std::toupper(c));
            current.args = space == std::string::npos ? "" : trim(part.substr(space));
        } else {
            current.args += " " + part;
        }
        continued = more;
        if (continued) continue;
        if (current.keyword == "FROM") {
            const auto w = words(current.args);
            out.stage_images.push_back(w.empty() ? "" : w[0]);
            out.stage_names.push_back(w.size() >= 3 && (w[1] == "AS" || w[1] == "as") ? w[2] : "");
        }
        current.stage = static_cast<int>(out.stage_images.size()) - 1;
        out.instructions.push_back(current);
    }
    return out;
}

/// Packages named by `apt-get install` in a RUN command (options left out).
inline std::set<std::string> apt_packages(const std::string& run) {
    std::set<std::string> out;
    const auto w = words(run);
    for (std::size_t i = 0; i + 1 < w.size(); ++i) {
        if (w[i] != "apt-get" || w[i + 1] != "install") continue;
        for (std::size_t j = i + 2; j < w.size() && w[j] != "&&" && w[j] != ";"; ++j) {
            if (!w[j].starts_with("-")) out.insert(w[j]);
        }
    }
    return out;
}

/// Every `${VAR...}` name used in `text`.
inline std::set<std::string> interpolated_names(const std::string& text) {
    std::set<std::string> out;
    for (auto pos = text.find("${"); pos != std::string::npos; pos = text.find("${", pos + 2)) {
        auto end = pos + 2;
        while (end < text.size() &&
               (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_')) {
            ++end;
        }
        out.insert(text.substr(pos + 2, end - pos - 2));
    }
    return out;
}

}  // namespace kt::test::docker
