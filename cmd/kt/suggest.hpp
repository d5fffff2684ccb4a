#pragma once

// The commands kt suggests in its output (`kt verify products --fix repairs it`), written so
// that they can be pasted as they are: with the user's own --config and --log-format. Pure.
// Header-only: kt_cli's sources are listed by name in cmd/CMakeLists.txt.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kt::cmd {

/// The options of kt itself (before the subcommand) that a suggested command repeats; each is
/// set only when the user gave it.
struct GlobalOptions {
    std::optional<std::string> config_path;  ///< `--config PATH`
    std::optional<std::string> log_format;   ///< `--log-format text|json`
};

/// `word` as one POSIX shell word: as it is when it holds only characters no shell treats
/// specially, else in single quotes (an embedded `'` written `'\''`).
[[nodiscard]] inline std::string shell_quote(std::string_view word) {
    const auto plain = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("@%+=:,./_-").find(c) != std::string_view::npos;
    };
    bool quote = word.empty();
    for (const char c : word) quote = quote || !plain(c);
    if (!quote) return std::string(word);
    std::string out = "'";
    for (const char c : word) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out.push_back(c);
        }
    }
    out += "'";
    return out;
}

/// The command line `kt [--config PATH] [--log-format F] SUBCOMMAND ARGS…`, every value
/// shell-quoted. kt's own options come before the subcommand, where every subcommand accepts
/// them. `args` are the subcommand's words (positional arguments and its flags), in order.
[[nodiscard]] inline std::string suggest_command(const GlobalOptions& given,
                                                 std::string_view subcommand,
                                                 const std::vector<std::string>& args) {
    std::string out = "kt";
    if (given.config_path) out += " --config " + shell_quote(*given.config_path);
    if (given.log_format) out += " --log-format " + shell_quote(*given.log_format);
    out += " " + shell_quote(subcommand);
    for (const std::string& arg : args) out += " " + shell_quote(arg);
    return out;
}

}  // namespace kt::cmd
