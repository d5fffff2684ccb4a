// Runs the real `kt check` executable on the example config and on broken variants of it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/run_command.hpp"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

kt::test::CommandResult run_kt_check(const std::string& config, const std::string& env = "") {
    return kt::test::run_command(env + " " + std::string(KT_BINARY_DIR) +
                                 "/cmd/kt check --offline --config '" + config + "'");
}

std::string example() {
    std::ifstream in(std::string(KT_SOURCE_DIR) + "/config/kt.yaml");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// Writes `text` next to the example config (so mappings_file paths still resolve).
std::string write_config(const std::string& name, const std::string& text) {
    const fs::path dir = fs::temp_directory_path() / ("kt_check_" + std::to_string(::getpid()));
    fs::create_directories(dir / "mappings");
    for (const char* m : {"products.json", "brands.json", "customers.json", "orders.json"}) {
        fs::copy_file(fs::path(KT_SOURCE_DIR) / "config/mappings" / m, dir / "mappings" / m,
                      fs::copy_options::overwrite_existing);
    }
    const fs::path file = dir / name;
    std::ofstream(file) << text;
    return file.string();
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    const auto pos = text.find(from);
    EXPECT_NE(pos, std::string::npos) << "example config no longer contains: " << from;
    if (pos != std::string::npos) text.replace(pos, from.size(), to);
    return text;
}

TEST(KtCheck, ExampleConfigPasses) {
    const auto run = run_kt_check(std::string(KT_SOURCE_DIR) + "/config/kt.yaml",
                                 "env -u KT_POSTGRES_URL -u KT_KAFKA_BROKERS");
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_THAT(run.output, HasSubstr("ok"));
}

struct BrokenCase {
    const char* name;
    const char* from;
    const char* to;
    const char* expected;  // key path (and words) the message must name
};

class KtCheckBroken : public ::testing::TestWithParam<BrokenCase> {};

TEST_P(KtCheckBroken, ExitsTwoAndNamesTheKey) {
    const auto& c = GetParam();
    const std::string path = write_config(std::string(c.name) + ".yaml",
                                          replaced(example(), c.from, c.to));
    const auto run = run_kt_check(path, "env -u KT_UNSET_FOR_TEST");
    EXPECT_EQ(run.exit_code, 2) << run.output;
    EXPECT_THAT(run.output, HasSubstr(c.expected));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, KtCheckBroken,
    ::testing::Values(
        BrokenCase{"unknown_key", "    batch_size: 1000", "    batch_sise: 1000",
                   "indexes.products.batch_sise: unknown key"},
        BrokenCase{"wrong_type", "    batch_size: 1000", "    batch_size: many",
                   "indexes.products.batch_size: expected an integer"},
        BrokenCase{"missing_section", "postgres:\n", "postgres_old:\n",
                   "postgres: missing required section"},
        BrokenCase{"bad_duration", "batch_wait: 200ms", "batch_wait: 200 millis",
                   "indexes.products.batch_wait: bad duration"},
        BrokenCase{"delayer_without_delay", "delay_1h: { delay: 1h, target: products }",
                   "delay_1h: { target: products }", "delayers.delay_1h.delay: missing required key"},
        BrokenCase{"cascade_without_target", "    target: products\n", "\n",
                   "cascades.brand_products.target: missing required key"},
        BrokenCase{"unset_variable", "${KT_ELASTICSEARCH_URL:-http://localhost:9200}",
                   "${KT_UNSET_FOR_TEST}", "elasticsearch.url: environment variable KT_UNSET_FOR_TEST"},
        BrokenCase{"list_for_map", "  url: ${KT_ELASTICSEARCH_URL:-http://localhost:9200}\n  timeout: 30s",
                   "  - ${KT_ELASTICSEARCH_URL:-http://localhost:9200}\n  - 30s",
                   "elasticsearch: expected a map, got a list"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

/// The example config without the products index's scan_query: (and its comment).
std::string without_products_scan_query() {
    std::string text = example();
    const auto from = text.find("    # Every row's document");
    const auto to = text.find("    mappings_file: mappings/products.json");
    EXPECT_NE(from, std::string::npos);
    EXPECT_NE(to, std::string::npos);
    if (from != std::string::npos && to != std::string::npos) text.erase(from, to - from);
    return text;
}

TEST(KtCheck, AQueryWithoutScanQueryPassesWhenItsScanCanBeDerived) {
    const auto run = run_kt_check(write_config("derived.yaml", without_products_scan_query()),
                                 "env -u KT_POSTGRES_URL -u KT_KAFKA_BROKERS");
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_THAT(run.output, HasSubstr("ok"));
}

TEST(KtCheck, AQueryWithoutScanQueryWhoseScanCannotBeDerivedIsAProblem) {
    const std::string text =
        replaced(without_products_scan_query(), "WHERE p.id = ANY($1::bigint[])",
                 "WHERE p.id = ANY($1::bigint[]) AND cardinality($1::text[]) > 0");
    const auto run = run_kt_check(write_config("underived.yaml", text),
                                 "env -u KT_POSTGRES_URL -u KT_KAFKA_BROKERS");
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_THAT(run.output, HasSubstr("index 'products': no scan query can be derived from its "
                                      "query: (the query uses $1 outside its = ANY($1) "
                                      "condition); add scan_query:"));
}

TEST(KtCheck, MissingFileIsAConfigError) {
    const auto run = run_kt_check("/nonexistent/kt.yaml");
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_THAT(run.output, HasSubstr("cannot read"));
}

}  // namespace
