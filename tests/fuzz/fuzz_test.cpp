// Randomized hostile-input tests of the instant message parser, the delay envelope parser and
// the config loader: every corpus input, then structure-aware generated and mutated inputs for
// a fixed budget. KT_FUZZ_SEED=N repeats a run, KT_FUZZ_SECONDS=N changes its budget (default
// 3 s per target), KT_FUZZ_ITERATION=N re-runs just that iteration of the seed.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tests/fuzz/mutator.hpp"
#include "tests/fuzz/targets.hpp"

namespace kt::fuzz {
namespace {

namespace fs = std::filesystem;

std::optional<std::uint64_t> env_number(const char* name) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::strtoull(v, nullptr, 10);
}

std::vector<std::string> read_corpus(const std::string& target) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(fs::path(KT_FUZZ_CORPUS_DIR) / target)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    std::vector<std::string> out;
    for (const auto& f : files) {
        std::ifstream in(f, std::ios::binary);
        std::stringstream buffer;
        buffer << in.rdbuf();
        out.push_back(buffer.str());
    }
    return out;
}

/// Keeps a failing input where it can be copied into the corpus as a regression input.
std::string save_failure(const std::string& target, std::uint64_t seed, std::uint64_t iteration,
                         const std::string& input) {
    const fs::path dir = fs::path(KT_BINARY_DIR) / "fuzz-failures" / target;
    fs::create_directories(dir);
    const fs::path file = dir / ("seed-" + std::to_string(seed) + "-" + std::to_string(iteration));
    std::ofstream(file, std::ios::binary) << input;
    return file.string();
}

using Check = std::function<std::optional<std::string>(std::string_view)>;
using Generate = std::function<std::string(Mutator&, const std::vector<std::string>&)>;

/// Runs `check` over the corpus, then over generated inputs until the budget is spent.
void run(const std::string& target, const Check& check, const Generate& generate) {
    const std::vector<std::string> corpus = read_corpus(target);
    ASSERT_FALSE(corpus.empty()) << "no corpus for " << target;
    for (std::size_t i = 0; i < corpus.size(); ++i) {
        const auto broken = check(corpus[i]);
        ASSERT_FALSE(broken.has_value()) << target << " corpus input " << i << ": " << *broken;
    }
    const std::uint64_t seed = env_number("KT_FUZZ_SEED").value_or(std::random_device{}());
    const auto only = env_number("KT_FUZZ_ITERATION");
    const auto budget = std::chrono::seconds(env_number("KT_FUZZ_SECONDS").value_or(3));
    std::cout << target << ": KT_FUZZ_SEED=" << seed << "\n";
    const auto deadline = std::chrono::steady_clock::now() + budget;
    std::uint64_t iteration = only.value_or(0);
    std::uint64_t done = 0;
    do {
        // One generator per iteration, so a single iteration of a seed can be replayed.
        Mutator mutator(seed ^ (iteration * 0x9E3779B97F4A7C15ULL));
        const std::string input = generate(mutator, corpus);
        const auto broken = check(input);
        ASSERT_FALSE(broken.has_value())
            << target << ": " << *broken << "\nreplay: KT_FUZZ_SEED=" << seed
            << " KT_FUZZ_ITERATION=" << iteration
            << "\ninput saved as " << save_failure(target, seed, iteration, input);
        ++iteration;
        ++done;
    } while (!only && std::chrono::steady_clock::now() < deadline);
    std::cout << target << ": " << done << " generated inputs checked\n";
    // A budget that ran only a handful of inputs would hide a far too slow target.
    if (!only) {
        EXPECT_GE(done, 10U);
    }
}

/// A corpus input or a fresh one, often with byte-level edits on top.
std::string mixed(Mutator& m, const std::vector<std::string>& corpus, std::string fresh) {
    std::string input =
        m.one_in(2) ? std::move(fresh) : std::string(corpus[m.below(corpus.size())]);
    if (m.one_in(2)) input = m.bytes(std::move(input), corpus[m.below(corpus.size())]);
    return input;
}

TEST(HostileFuzz, MessageParserKeepsItsContract) {
    run("message_parser", check_message, [](Mutator& m, const std::vector<std::string>& corpus) {
        return mixed(m, corpus, m.message());
    });
}

TEST(HostileFuzz, EnvelopeParserKeepsItsContract) {
    run("envelope_parser", check_envelope, [](Mutator& m, const std::vector<std::string>& corpus) {
        return mixed(m, corpus, m.envelope());
    });
}

TEST(HostileFuzz, ConfigLoaderKeepsItsContract) {
    set_config_base_dir(KT_SOURCE_DIR "/config");
    run("config_loader", check_config, [](Mutator& m, const std::vector<std::string>& corpus) {
        std::string input = m.yaml(corpus[m.below(corpus.size())]);
        if (m.one_in(4)) input = m.bytes(std::move(input), corpus[m.below(corpus.size())]);
        return input;
    });
}

}  // namespace
}  // namespace kt::fuzz
