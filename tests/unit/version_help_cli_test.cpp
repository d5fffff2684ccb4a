// `--version` and `--help` of every executable, run as built: the version of this build (the
// project version, and the git commit when built from a checkout) and the defaults in the help.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/run_command.hpp"

namespace kt::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Executable {
    std::string name;
    std::string path;  ///< in the build directory
};

const std::vector<Executable> kExecutables{
    {"kt", "cmd/kt"},
    {"kt-indexer", "cmd/kt-indexer"},
    {"kt-delayer", "cmd/kt-delayer"},
    {"kt-cascader", "cmd/kt-cascader"},
    {"kt-capture", "cmd/kt-capture"},
    {"kt-devbroker", "tools/devbroker/kt-devbroker"},
    {"kt-es-standin", "tools/es-standin/kt-es-standin"},
};

const std::vector<std::string> kWorkers{"kt-indexer", "kt-delayer", "kt-cascader", "kt-capture"};

std::string binary(const std::string& path) {
    return std::string(KT_BINARY_DIR) + "/" + path;
}

/// The VERSION of project() in the top-level CMakeLists.txt.
std::string project_version() {
    std::ifstream in(std::string(KT_SOURCE_DIR) + "/CMakeLists.txt");
    std::stringstream text;
    text << in.rdbuf();
    const std::string s = text.str();
    std::smatch m;
    if (!std::regex_search(s, m, std::regex(R"(project\(kt VERSION ([0-9.]+))"))) return "";
    return m[1];
}

/// The line `<exe> --version` printed, without its newline; fails the test unless it exited 0.
std::string version_line(const Executable& exe) {
    const CommandResult run = run_command(binary(exe.path) + " --version");
    EXPECT_EQ(run.exit_code, 0) << exe.name << ": " << run.output;
    EXPECT_TRUE(run.output.ends_with("\n")) << exe.name << ": " << run.output;
    return run.output.substr(0, run.output.find('\n'));
}

TEST(VersionFlag, EveryExecutablePrintsItsNameAndTheProjectVersion) {
    const std::string version = project_version();
    ASSERT_FALSE(version.empty());
    const std::regex line("(kt[a-z-]*) ([0-9.]+)( \\(git [0-9A-Za-z._+-]+\\))?");
    for (const auto& exe : kExecutables) {
        const std::string printed = version_line(exe);
        std::smatch m;
        ASSERT_TRUE(std::regex_match(printed, m, line)) << exe.name << ": " << printed;
        EXPECT_EQ(m[1], exe.name);
        EXPECT_EQ(m[2], version) << exe.name;
    }
}

TEST(VersionFlag, EveryExecutableOfOneBuildNamesTheSameVersion) {
    const std::string kt = version_line(kExecutables.front());
    const std::string rest = kt.substr(kt.find(' '));
    for (const auto& exe : kExecutables) EXPECT_EQ(version_line(exe), exe.name + rest);
}

TEST(VersionFlag, NamesACommitOfThisCheckoutWhenBuiltFromOne) {
    const std::string source = KT_SOURCE_DIR;
    if (!std::filesystem::exists(source + "/.git")) GTEST_SKIP() << "not built from a checkout";
    if (run_command("git -C " + source + " rev-parse --git-dir").exit_code != 0) {
        GTEST_SKIP() << "git cannot read the checkout here";
    }
    const std::string printed = version_line(kExecutables.front());
    std::smatch m;
    // git describe: [<tag>-<n>-g]<abbreviated hash>[-dirty]
    ASSERT_TRUE(std::regex_search(printed, m,
                                  std::regex(R"(\(git (?:.*-g)?([0-9a-f]{4,40})(?:-dirty)?\)$)")))
        << printed;
    // The commit it was built from (others may have been made since).
    const CommandResult commit = run_command("git -C " + source + " cat-file -t " +
                                             m[1].str() + "^{commit}");
    EXPECT_EQ(commit.exit_code, 0) << printed << ": " << commit.output;
}

TEST(VersionFlag, WinsOverTheSubcommandKtRequires) {
    const CommandResult run = run_command(binary("cmd/kt") + " --version");
    EXPECT_EQ(run.exit_code, 0);
    EXPECT_THAT(run.output, Not(HasSubstr("subcommand")));
}

TEST(HelpDefaults, WorkersShowTheMetricsPortAndTheStallTimeoutDefaults) {
    for (const auto& worker : kWorkers) {
        const CommandResult run = run_command(binary("cmd/" + worker) + " --help");
        EXPECT_EQ(run.exit_code, 0) << worker;
        EXPECT_THAT(run.output, HasSubstr("=9464")) << worker;
        EXPECT_THAT(run.output, HasSubstr("--stall-timeout TEXT=2m")) << worker;
        EXPECT_THAT(run.output, HasSubstr("--log-level TEXT:{debug,info,warn,error}=info"))
            << worker;
        EXPECT_THAT(run.output, HasSubstr("--version")) << worker;
    }
}

TEST(HelpDefaults, KtSubcommandsShowTheConfigTheyRead) {
    const CommandResult run =
        run_command("env -u KT_CONFIG " + binary("cmd/kt") + " status --help");
    EXPECT_EQ(run.exit_code, 0);
    EXPECT_THAT(run.output, HasSubstr("--config TEXT=config/kt.yaml"));
    const CommandResult set = run_command("env KT_CONFIG=/srv/kt.yaml " + binary("cmd/kt") +
                                          " status --help");
    EXPECT_THAT(set.output, HasSubstr("--config TEXT=/srv/kt.yaml"));
}

TEST(HelpDefaults, ADefaultTheDescriptionGivesIsNotRepeated) {
    // --config's description names $KT_CONFIG and config/kt.yaml; --index's says "every one".
    const CommandResult run = run_command(binary("cmd/kt-indexer") + " --help");
    EXPECT_THAT(run.output, Not(HasSubstr("--config TEXT=")));
    EXPECT_THAT(run.output, Not(HasSubstr("=[]")));
}

TEST(HelpDefaults, ASentinelTheOptionsChecksRejectIsNotShown) {
    // kt status --serve: -1 means "print instead", and its range check rejects -1.
    const CommandResult run = run_command(binary("cmd/kt") + " status --help");
    EXPECT_EQ(run.exit_code, 0);
    EXPECT_THAT(run.output, HasSubstr("--serve"));
    EXPECT_THAT(run.output, Not(HasSubstr("=-1")));
}

}  // namespace
}  // namespace kt::test
