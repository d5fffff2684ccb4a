// docker/Dockerfile, .dockerignore and docker/entrypoint.sh, checked without a Docker engine:
// the Dockerfile is read statically and compared with what CMake builds and what the built
// executables link; the entrypoint script is run with the executables built here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

#include "tests/unit/docker_test_support.hpp"

namespace kt::test::docker {
namespace {

using ::testing::HasSubstr;

const std::set<std::string> kExecutables{"kt", "kt-indexer", "kt-delayer", "kt-cascader",
                                          "kt-capture"};

Dockerfile dockerfile() {
    return parse_dockerfile(read_text(source_path("docker/Dockerfile")));
}

int last_stage(const Dockerfile& d) {
    return static_cast<int>(d.stage_images.size()) - 1;
}

/// Packages installed by the RUN instructions of `stage`.
std::set<std::string> stage_packages(const Dockerfile& d, int stage) {
    std::set<std::string> out;
    for (const auto& run : d.all("RUN", stage)) out.merge(apt_packages(run.args));
    return out;
}

/// Sources of a COPY (its last word is the destination; --options left out).
struct Copy {
    std::string from;  ///< the --from stage, empty for the build context
    std::vector<std::string> sources;
    std::string destination;
};

Copy parse_copy(const std::string& args) {
    Copy out;
    std::vector<std::string> rest;
    for (const auto& w : words(args)) {
        if (w.starts_with("--from=")) {
            out.from = w.substr(7);
        } else if (!w.starts_with("--")) {
            rest.push_back(w);
        }
    }
    if (!rest.empty()) {
        out.destination = rest.back();
        rest.pop_back();
    }
    out.sources = rest;
    return out;
}

/// The add_executable targets of cmd/CMakeLists.txt.
std::set<std::string> cmake_executables() {
    const std::string text = read_text(source_path("cmd/CMakeLists.txt"));
    const std::regex re(R"(add_executable\(\s*([A-Za-z0-9_-]+))");
    std::set<std::string> out;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
         ++it) {
        out.insert((*it)[1]);
    }
    return out;
}

TEST(DockerImage, BuildsOnDebian12AndRunsOnDebian12Slim) {
    const auto d = dockerfile();
    ASSERT_EQ(d.stage_images.size(), 2U) << "expected a build stage and a runtime stage";
    EXPECT_EQ(d.stage_images[0], "debian:12");
    EXPECT_EQ(d.stage_names[0], "build");
    EXPECT_EQ(d.stage_images[1], "debian:12-slim");
}

TEST(DockerImage, BuildStageInstallsTheProjectsBuildPackages) {
    const auto d = dockerfile();
    const auto build = stage_packages(d, 0);
    const auto project = install_deps_packages();
    for (const auto& p : build) {
        EXPECT_TRUE(project.contains(p)) << p << " is not among scripts/install-deps.sh's packages";
    }
    // Everything the libraries need; tests, benchmarks and fuzz targets are not built in the image.
    const std::set<std::string> not_needed{"libgtest-dev", "libgmock-dev", "libbenchmark-dev",
                                           "libclang-rt-14-dev"};
    for (const auto& p : project) {
        if (p.ends_with("-dev") && !not_needed.contains(p)) {
            EXPECT_TRUE(build.contains(p)) << "the build stage does not install " << p;
        }
    }
    for (const char* tool : {"g++", "cmake", "ninja-build", "pkg-config"}) {
        EXPECT_TRUE(build.contains(tool)) << "the build stage does not install " << tool;
    }
}

TEST(DockerImage, BuildsLikeTheBuildScriptInRelease) {
    const auto d = dockerfile();
    std::string cmake;
    for (const auto& run : d.all("RUN", 0)) {
        if (run.args.find("cmake -S") != std::string::npos) cmake = run.args;
    }
    ASSERT_FALSE(cmake.empty()) << "no cmake configure step in the build stage";
    for (const char* flag : {"-G Ninja", "-DCMAKE_BUILD_TYPE=Release", "-DKT_BUILD_TESTS=OFF",
                             "-DKT_BUILD_BENCH=OFF"}) {
        EXPECT_THAT(cmake, HasSubstr(flag));
    }
    // Exactly the executables the image ships are built.
    const auto target = cmake.find("--target ");
    ASSERT_NE(target, std::string::npos) << cmake;
    std::set<std::string> targets;
    for (const auto& w : words(cmake.substr(target + 9))) {
        if (w == "&&") break;
        targets.insert(w);
    }
    EXPECT_EQ(targets, kExecutables);
}

TEST(DockerImage, ShipsTheFiveExecutablesThatCMakeBuilds) {
    const auto d = dockerfile();
    const auto targets = cmake_executables();
    std::set<std::string> shipped;
    for (const auto& copy : d.all("COPY", last_stage(d))) {
        const Copy c = parse_copy(copy.args);
        if (c.from.empty()) continue;
        EXPECT_EQ(c.from, d.stage_names[0]) << "line " << copy.line;
        EXPECT_EQ(c.destination, "/usr/local/bin/") << "line " << copy.line;
        for (const auto& source : c.sources) {
            const std::string name = fs::path(source).filename().string();
            shipped.insert(name);
            EXPECT_TRUE(targets.contains(name))
                << name << " is no executable of cmd/CMakeLists.txt";
            EXPECT_EQ(source, "/src/build/cmd/" + name) << "line " << copy.line;
            const fs::path built = fs::path(KT_BINARY_DIR) / "cmd" / name;
            EXPECT_TRUE(fs::exists(built)) << built << " was not built";
        }
    }
    EXPECT_EQ(shipped, kExecutables);
}

/// The Debian package owning each shared library that the built executables name as NEEDED.
std::set<std::string> packages_of_linked_libraries() {
    std::set<std::string> needed;
    for (const auto& name : kExecutables) {
        const auto dump =
            run_command("objdump -p " + shell_quote(std::string(KT_BINARY_DIR) + "/cmd/" + name));
        EXPECT_EQ(dump.exit_code, 0) << dump.output;
        const std::regex re(R"(NEEDED\s+(\S+))");
        for (auto it = std::sregex_iterator(dump.output.begin(), dump.output.end(), re);
             it != std::sregex_iterator(); ++it) {
            needed.insert((*it)[1]);
        }
    }
    std::map<std::string, std::string> resolved;  // soname -> path, from ldd
    for (const auto& name : kExecutables) {
        const auto ldd =
            run_command("ldd " + shell_quote(std::string(KT_BINARY_DIR) + "/cmd/" + name));
        const std::regex re(R"((\S+) => (/\S+))");
        for (auto it = std::sregex_iterator(ldd.output.begin(), ldd.output.end(), re);
             it != std::sregex_iterator(); ++it) {
            resolved[(*it)[1]] = (*it)[2];
        }
    }
    // One dpkg call for every path, as dpkg knows it (/lib may be a link to /usr/lib) or
    // canonical: "libfoo1:amd64: /usr/lib/..." or "libpqxx-6.4: /usr/lib/...".
    std::string query = "dpkg -S";
    for (const auto& soname : needed) {
        const auto it = resolved.find(soname);
        if (it == resolved.end()) {
            ADD_FAILURE() << "ldd does not resolve " << soname;
            continue;
        }
        query +=
            " " + shell_quote(it->second) + " " + shell_quote(fs::canonical(it->second).string());
    }
    const auto owners = run_command(query);
    std::map<std::string, std::string> owner_of;  // path -> package
    const std::regex owner(R"(([^:\s]+)(:\w+)?: (/\S+))");
    std::istringstream lines(owners.output);
    for (std::string line; std::getline(lines, line);) {
        std::smatch m;
        if (std::regex_match(line, m, owner)) owner_of[m[3]] = m[1];
    }
    std::set<std::string> packages;
    for (const auto& soname : needed) {
        const auto it = resolved.find(soname);
        if (it == resolved.end()) continue;
        auto found = owner_of.find(it->second);
        if (found == owner_of.end()) found = owner_of.find(fs::canonical(it->second).string());
        if (found == owner_of.end()) {
            ADD_FAILURE() << "no package owns " << it->second << ": " << owners.output;
            continue;
        }
        packages.insert(found->second);
    }
    return packages;
}

TEST(DockerImage, RuntimePackagesAreTheLinkedLibraries) {
    const auto d = dockerfile();
    auto runtime = stage_packages(d, last_stage(d));
    EXPECT_TRUE(runtime.erase("ca-certificates")) << "TLS to Kafka and Elasticsearch needs CAs";
    auto linked = packages_of_linked_libraries();
    // A sanitizer build (scripts/test-sanitize.sh) links the sanitizer runtimes; the image is
    // never built that way.
    std::erase_if(linked, [](const std::string& p) {
        return p.starts_with("libasan") || p.starts_with("libubsan") || p.starts_with("liblsan") ||
               p.starts_with("libtsan");
    });
    ASSERT_FALSE(linked.empty());
    for (const auto& p : linked) {
        EXPECT_TRUE(runtime.contains(p))
            << "the executables link a library of " << p << ", which the runtime stage lacks";
    }
    for (const auto& p : runtime) {
        EXPECT_TRUE(linked.contains(p))
            << "the runtime stage installs " << p << ", which no executable links";
    }
}

TEST(DockerImage, RunsAsAnUnprivilegedUserThroughTheEntrypoint) {
    const auto d = dockerfile();
    const int runtime = last_stage(d);
    const auto users = d.all("USER", runtime);
    ASSERT_EQ(users.size(), 1U);
    const std::string user = users[0].args.substr(0, users[0].args.find(':'));
    EXPECT_NE(user, "root");
    EXPECT_NE(user, "0");
    // A numeric user (Kubernetes' runAsNonRoot needs one) created by useradd in the stage.
    ASSERT_TRUE(std::all_of(user.begin(), user.end(), ::isdigit)) << user;
    bool created = false;
    for (const auto& run : d.all("RUN", runtime)) {
        created |= run.args.find("useradd") != std::string::npos &&
                   run.args.find("--uid " + user) != std::string::npos;
    }
    EXPECT_TRUE(created) << "no useradd --uid " << user << " in the runtime stage";

    const auto entrypoints = d.all("ENTRYPOINT", runtime);
    ASSERT_EQ(entrypoints.size(), 1U);
    std::smatch m;
    std::regex_match(entrypoints[0].args, m, std::regex(R"re(\[\s*"([^"]+)".*\])re"));
    ASSERT_FALSE(m.empty()) << "ENTRYPOINT is not in exec (JSON) form: " << entrypoints[0].args;
    const std::string program = m[1];
    bool installed = false;
    for (const auto& copy : d.all("COPY", runtime)) {
        const Copy c = parse_copy(copy.args);
        if (c.from.empty() && c.destination == "/usr/local/bin/" + program) {
            EXPECT_EQ(c.sources, std::vector<std::string>{"docker/entrypoint.sh"});
            installed = true;
        }
    }
    EXPECT_TRUE(installed) << "the entrypoint " << program << " is not copied to /usr/local/bin";
}

/// True when a .dockerignore line excludes `path` (exact path, a parent folder, or `**/*.ext`).
bool ignored(const std::vector<std::string>& patterns, const std::string& path) {
    for (const auto& p : patterns) {
        if (path == p || path.starts_with(p + "/")) return true;
        if (p.starts_with("**/*.") && path.ends_with(p.substr(4))) return true;
    }
    return false;
}

TEST(DockerImage, CopiesOnlyExistingFilesThatTheContextKeeps) {
    std::vector<std::string> patterns;
    std::istringstream in(read_text(source_path(".dockerignore")));
    for (std::string line; std::getline(in, line);) {
        line = trim(line);
        if (!line.empty() && line[0] != '#') patterns.push_back(line);
    }
    for (const char* heavy : {".git", "build", ".stack"}) {
        EXPECT_TRUE(ignored(patterns, heavy)) << ".dockerignore keeps " << heavy;
    }
    const auto d = dockerfile();
    int copies = 0;
    for (const auto& copy : d.all("COPY")) {
        const Copy c = parse_copy(copy.args);
        if (!c.from.empty()) continue;
        for (const auto& source : c.sources) {
            ++copies;
            EXPECT_TRUE(fs::exists(source_path(source))) << source << " (line " << copy.line << ")";
            EXPECT_FALSE(ignored(patterns, source)) << ".dockerignore drops " << source;
        }
    }
    EXPECT_GE(copies, 6);
}

/// docker/entrypoint.sh run with the executables built here on its PATH.
CommandResult entrypoint(const std::string& args) {
    return run_with_env({}, "bash docker/entrypoint.sh " + args);
}

TEST(DockerEntrypoint, RunsTheNamedKtSubcommand) {
    const auto check = entrypoint("check --offline --config config/kt.yaml");
    EXPECT_EQ(check.exit_code, 0) << check.output;
    EXPECT_THAT(check.output, HasSubstr("config config/kt.yaml: ok"));
    const auto kt = entrypoint("kt check --offline --config config/kt.yaml");
    EXPECT_EQ(kt.exit_code, 0) << kt.output;
    EXPECT_THAT(kt.output, HasSubstr("ok"));
}

/// Expects the entrypoint to refuse `args`: exit code 2 and `message` in its output.
void expect_refused(const std::string& args, const std::string& message) {
    const auto run = entrypoint(args);
    EXPECT_EQ(run.exit_code, 2) << args << ": " << run.output;
    EXPECT_THAT(run.output, HasSubstr(message)) << args;
}

TEST(DockerEntrypoint, RunsTheNamedWorker) {
    for (const auto& [worker, option] : std::map<std::string, std::string>{
             {"indexer", "--index"}, {"delayer", "--delayer"}, {"cascader", "--cascade"}}) {
        const auto run = entrypoint(worker + " --help");
        EXPECT_EQ(run.exit_code, 0) << worker << ": " << run.output;
        EXPECT_THAT(run.output, HasSubstr(option)) << worker;
        EXPECT_THAT(run.output, HasSubstr("--metrics-port")) << worker;
    }
    // The worker's own exit code comes through: a config error is 2.
    expect_refused("indexer --config config/no-such-file.yaml", "no-such-file.yaml");
}

TEST(DockerEntrypoint, RejectsAnUnknownNameNamingIt) {
    expect_refused("indexr --config /etc/kt/kt.yaml", "unknown worker or command 'indexr'");
    expect_refused("", "usage:");
}

TEST(DockerEntrypoint, ProbeRejectsABadPathOrPort) {
    expect_refused("probe readyz", "expected a path such as /readyz, got 'readyz'");
    expect_refused("probe /readyz metrics", "port 'metrics' is not a number");
}

}  // namespace
}  // namespace kt::test::docker
