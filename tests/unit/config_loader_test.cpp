#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <ostream>

#include "lib/config/duration.hpp"
#include "lib/config/interpolate.hpp"
#include "lib/config/loader.hpp"
#include "lib/config/redact.hpp"
#include "tests/unit/config_test_support.hpp"

namespace kt::config {
namespace {

using ::testing::HasSubstr;

const char* kValid = R"(kafka:
  brokers: ${BROKERS:-localhost:9092}
  properties:
    session.timeout.ms: 6000
postgres:
  url: ${PG_URL}
elasticsearch:
  url: http://localhost:9200
indexes:
  products:
    query: SELECT id, doc FROM p WHERE id = ANY($1::bigint[])
    batch_size: 500
    batch_wait: 250ms
  brands:
    table: brands
delayers:
  delay_5m: { delay: 5m, target: products, next: delay_1h }
  delay_1h: { delay: 1h, target: products }
cascades:
  brand_products:
    topic: brands
    query: SELECT id FROM products WHERE brand_id = ANY($1::bigint[])
    target: products
)";

Config load_ok(const std::string& yaml, std::map<std::string, std::string> vars = {
                                            {"PG_URL", "postgresql://kt@localhost/kt"}}) {
    return load_string(yaml, "test.yaml", "", env_of(std::move(vars)));
}

/// Loads yaml that must fail; returns every problem line joined.
std::string load_error(const std::string& yaml, std::map<std::string, std::string> vars = {
                                                    {"PG_URL", "postgresql://kt@localhost/kt"}}) {
    try {
        (void)load_string(yaml, "test.yaml", "", env_of(std::move(vars)));
    } catch (const ConfigError& e) {
        return problem_lines(e);
    }
    ADD_FAILURE() << "expected a ConfigError for:\n" << yaml;
    return "";
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
    const auto pos = text.find(from);
    EXPECT_NE(pos, std::string::npos) << from;
    if (pos != std::string::npos) text.replace(pos, from.size(), to);
    return text;
}

TEST(ConfigLoader, LoadsEverySectionWithDefaults) {
    const Config cfg = load_ok(kValid);
    EXPECT_EQ(cfg.kafka.brokers, "localhost:9092");
    EXPECT_EQ(cfg.kafka.group_prefix, "kt");
    EXPECT_EQ(cfg.kafka.properties.at("session.timeout.ms"), "6000");
    EXPECT_EQ(cfg.postgres.url, "postgresql://kt@localhost/kt");
    ASSERT_EQ(cfg.indexes.size(), 2u);
    const auto* products = cfg.find_index("products");
    ASSERT_NE(products, nullptr);
    EXPECT_EQ(products->topic, "products");
    EXPECT_EQ(products->dead_letter_topic, "products.dlq");
    EXPECT_EQ(products->batch_size, 500);
    EXPECT_EQ(products->batch_wait, Duration(250));
    const auto* brands = cfg.find_index("brands");
    ASSERT_NE(brands, nullptr);
    EXPECT_EQ(brands->table, "brands");
    EXPECT_TRUE(brands->query.empty());
    EXPECT_EQ(brands->batch_size, 1000);
    EXPECT_EQ(brands->batch_wait, Duration(200));
    const auto* d5 = cfg.find_delayer("delay_5m");
    ASSERT_NE(d5, nullptr);
    EXPECT_EQ(d5->delay, std::chrono::minutes(5));
    EXPECT_EQ(d5->topic, "delay_5m");
    EXPECT_EQ(d5->next, "delay_1h");
    EXPECT_EQ(cfg.find_delayer("delay_1h")->delay, std::chrono::hours(1));
    ASSERT_EQ(cfg.cascades.size(), 1u);
    EXPECT_EQ(cfg.cascades[0].target, "products");
    EXPECT_EQ(cfg.elasticsearch.timeout, std::chrono::seconds(30));
    EXPECT_FALSE(cfg.elasticsearch.compression);
}

TEST(ConfigLoader, InterpolatesVariablesAndDefaults) {
    const Config cfg = load_ok(kValid, {{"PG_URL", "postgresql://x/y"}, {"BROKERS", "b1:9,b2:9"}});
    EXPECT_EQ(cfg.kafka.brokers, "b1:9,b2:9");
    EXPECT_EQ(cfg.postgres.url, "postgresql://x/y");
}

TEST(ConfigLoader, InterpolatedValuesAreTyped) {
    const auto yaml = replace(kValid, "batch_size: 500", "batch_size: ${BATCH:-700}");
    EXPECT_EQ(load_ok(yaml).find_index("products")->batch_size, 700);
    EXPECT_THAT(load_error(yaml, {{"PG_URL", "u"}, {"BATCH", "many"}}),
                HasSubstr("indexes.products.batch_size: expected an integer"));
}

TEST(ConfigLoader, UnsetVariableWithoutDefaultNamesKeyAndVariable) {
    const auto msg = load_error(kValid, {});
    EXPECT_THAT(msg, HasSubstr("test.yaml:6: postgres.url"));
    EXPECT_THAT(msg, HasSubstr("PG_URL is not set"));
}

/// A change to kValid that the loader must refuse, and what its message says.
struct RejectedEdit {
    const char* name;
    const char* from;
    const char* to;
    const char* message;
};

const RejectedEdit kRejectedEdits[] = {
    {"UnknownKeyIsAnErrorWithPathAndLine", "    batch_size: 500", "    batch_sise: 500",
     "test.yaml:12: indexes.products.batch_sise: unknown key"},
    {"WrongTypeNamesKey_List", "batch_size: 500", "batch_size: [1, 2]",
     "indexes.products.batch_size: expected a string, got a list"},
    {"WrongTypeNamesKey_NotAnInteger", "batch_size: 500", "batch_size: lots",
     "indexes.products.batch_size: expected an integer, got 'lots'"},
    {"WrongTypeNamesKey_Zero", "batch_size: 500", "batch_size: 0",
     "indexes.products.batch_size: must be between 1 and 100000"},
    {"MissingSectionIsNamed", "postgres:\n  url: ${PG_URL}\n", "",
     "postgres: missing required section"},
    {"BadDurationNamesKey_NoUnit", "batch_wait: 250ms", "batch_wait: 250",
     "indexes.products.batch_wait: bad duration '250'"},
    {"BadDurationNamesKey_UnknownUnit", "delay: 5m,", "delay: 5 minutes,",
     "delayers.delay_5m.delay: bad duration"},
    {"BadDurationNamesKey_Zero", "delay: 5m,", "delay: 0s,",
     "delayers.delay_5m.delay: must be greater than zero"},
    {"DelayerWithoutDelay", "{ delay: 1h, target: products }", "{ target: products }",
     "delayers.delay_1h.delay: missing required key"},
    {"CascadeWithoutTarget", "    target: products\n", "",
     "cascades.brand_products.target: missing required key"},
    {"ListWhereAMapBelongs_Elasticsearch",
     "elasticsearch:\n"
     "  url: http://localhost:9200",
     "elasticsearch:\n"
     "  - http://localhost:9200",
     "elasticsearch: expected a map, got a list"},
    {"ListWhereAMapBelongs_Delayers",
     "  delay_5m: { delay: 5m, target: products, next: delay_1h }\n"
     "  delay_1h: { delay: 1h, target: products }",
     "  - { delay: 5m, target: products }",
     "delayers: expected a map, got a list"},
    {"QueryAndTableAreExclusiveAndOneIsRequired_Both",
     "    table: brands",
     "    table: brands\n"
     "    query: SELECT $1",
     "indexes.brands.table: set either query or table"},
    {"QueryAndTableAreExclusiveAndOneIsRequired_Neither", "    table: brands", "    batch_size: 5",
     "indexes.brands.query: missing required key"},
    {"QueryAndTableAreExclusiveAndOneIsRequired_QueryWithoutParameter",
     "WHERE id = ANY($1::bigint[])",
     "WHERE true",
     "indexes.products.query: must use $1"},
    {"CrossReferencesMustExist_DelayerTarget",
     "{ delay: 1h, target: products }",
     "{ delay: 1h, target: prodcuts }",
     "delayers.delay_1h.target: 'prodcuts' is not the topic of any index"},
    {"CrossReferencesMustExist_DelayerNext", "next: delay_1h", "next: delay_2h",
     "delayers.delay_5m.next: 'delay_2h' is not a delayer"},
    {"CrossReferencesMustExist_CascadeTarget", "    target: products\n", "    target: variants\n",
     "cascades.brand_products.target: 'variants' is not the topic"},
    {"DelayerNextLoopIsAnError",
     "{ delay: 1h, target: products }",
     "{ delay: 1h, target: products, next: delay_5m }",
     "loops back on itself"},
    {"InvalidIndexNameIsRejected", "  products:\n", "  Products:\n",
     "indexes.Products: not a valid Elasticsearch index name"},
    {"ManagedKafkaPropertiesCannotBeSet", "session.timeout.ms: 6000", "group.id: mine",
     "kafka.properties.group.id: is managed by kt"},
    {"MissingMappingsFileIsNamed",
     "    table: brands",
     "    table: brands\n"
     "    mappings_file: nope.json",
     "indexes.brands.mappings_file: file not found"},
};

/// Names the case in gtest's output.
void PrintTo(const RejectedEdit& edit, std::ostream* out) {
    *out << edit.name;
}

class ConfigLoaderRejects : public ::testing::TestWithParam<RejectedEdit> {};

TEST_P(ConfigLoaderRejects, NamesTheProblem) {
    const RejectedEdit& edit = GetParam();
    EXPECT_THAT(load_error(replace(kValid, edit.from, edit.to)), HasSubstr(edit.message));
}

INSTANTIATE_TEST_SUITE_P(ConfigLoader, ConfigLoaderRejects, ::testing::ValuesIn(kRejectedEdits),
                         [](const ::testing::TestParamInfo<RejectedEdit>& edit) {
                             return std::string(edit.param.name);
                         });

TEST(ConfigLoader, UnknownTopLevelSection) {
    EXPECT_THAT(load_error(std::string(kValid) + "extra: 1\n"), HasSubstr("extra: unknown key"));
}

TEST(ConfigLoader, ReportsAllProblemsAtOnce) {
    auto yaml = replace(kValid, "batch_wait: 250ms", "batch_wait: soon");
    yaml = replace(yaml, "batch_size: 500", "batch_sise: 500");
    yaml = replace(yaml, "{ delay: 1h, target: products }", "{ target: products }");
    try {
        (void)load_string(yaml, "test.yaml", "", env_of({}));
        FAIL() << "expected ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.problems().size(), 4u) << e.what();  // + the unset PG_URL
    }
}

TEST(ConfigLoader, ScanQueryIsReadAndValidated) {
    const std::string with_scan =
        replace(kValid, "    batch_size: 500\n",
                "    scan_query: SELECT id, doc FROM p\n    batch_size: 500\n");
    const Config config = load_ok(with_scan);
    EXPECT_EQ(config.find_index("products")->scan_query, "SELECT id, doc FROM p");
    EXPECT_EQ(config.find_index("brands")->scan_query, "");

    EXPECT_THAT(load_error(replace(with_scan, "SELECT id, doc FROM p\n",
                                   "SELECT id, doc FROM p WHERE id = ANY($1)\n")),
                HasSubstr("test.yaml:12: indexes.products.scan_query: must take no parameter"));
    EXPECT_THAT(load_error(replace(with_scan, "SELECT id, doc FROM p\n", "\"  \"\n")),
                HasSubstr("test.yaml:12: indexes.products.scan_query: must not be empty"));
    EXPECT_THAT(load_error(replace(kValid, "    table: brands",
                                   "    table: brands\n    scan_query: SELECT 1")),
                HasSubstr("indexes.brands.scan_query: only with query:"));
    EXPECT_THAT(
        load_error(replace(kValid, "    table: brands", "    table: brands\n    scan_query: [1]")),
        HasSubstr("indexes.brands.scan_query"));
}

/// kValid with one more cascade, `name`: changes on `topic` select `column` of the products
/// they touch, sent to `target`.
std::string with_cascade(const std::string& name, const std::string& topic,
                         const std::string& column, const std::string& target) {
    return std::string(kValid) + "  " + name + ":\n    topic: " + topic + "\n    query: SELECT " +
           column + " FROM products WHERE id = ANY($1::bigint[])\n    target: " + target + "\n";
}

TEST(ConfigLoader, CascadeCyclesAreErrors) {
    const auto msg = load_error(with_cascade("product_brands", "products", "brand_id", "brands"));
    EXPECT_THAT(msg, HasSubstr("cascades.brand_products: cascades form a cycle"));
    EXPECT_THAT(msg, HasSubstr("cascades.product_brands: cascades form a cycle"));
}

TEST(ConfigLoader, SelfCascadeIsACycle) {
    EXPECT_THAT(load_error(with_cascade("self", "products", "parent_id", "products")),
                HasSubstr("cascades.self: cascades form a cycle"));
}

TEST(ConfigLoader, MalformedYamlReportsLine) {
    EXPECT_THAT(load_error("kafka:\n  brokers: [unclosed\n"), HasSubstr("not valid YAML"));
}

TEST(ConfigLoader, SecretsNeverAppearInMessages) {
    auto yaml = replace(kValid, "  url: http://localhost:9200",
                        "  url: ftp://elastic:hunter2@es:9200\n  password: s3cr3t-pw\n  api_key: "
                        "k3y-v4lue\n  timeout: never");
    const auto msg = load_error(yaml, {{"PG_URL", "postgresql://kt:pgsecret@h/db"}});
    EXPECT_THAT(msg, HasSubstr("elasticsearch.url"));
    EXPECT_THAT(msg, HasSubstr("elasticsearch.username"));
    for (const char* secret : {"hunter2", "s3cr3t-pw", "k3y-v4lue", "pgsecret"}) {
        EXPECT_THAT(msg, ::testing::Not(HasSubstr(secret))) << secret;
    }
}

TEST(ConfigLoader, ExampleConfigIsValid) {
    const Config cfg = load_file(std::string(KT_SOURCE_DIR) + "/config/kt.yaml", env_of({}));
    EXPECT_FALSE(cfg.indexes.empty());
    EXPECT_THAT(cfg.find_index("products")->mappings_file,
                HasSubstr("config/mappings/products.json"));
}

TEST(Duration, ParsesEveryUnitAndSums) {
    EXPECT_EQ(parse_duration("250ms"), Duration(250));
    EXPECT_EQ(parse_duration("30s"), Duration(30'000));
    EXPECT_EQ(parse_duration("5m"), Duration(300'000));
    EXPECT_EQ(parse_duration("1h"), Duration(3'600'000));
    EXPECT_EQ(parse_duration("1h30m"), Duration(5'400'000));
    EXPECT_EQ(parse_duration("0ms"), Duration(0));
    for (const char* bad : {"", "5", "m", "5x", "-5s", "1.5s", "5 m", "99999999999999999999h"}) {
        EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
    }
    EXPECT_EQ(format_duration(Duration(300'000)), "5m");
    EXPECT_EQ(format_duration(Duration(250)), "250ms");
}

TEST(Interpolate, HandlesDefaultsEscapesAndErrors) {
    const auto env = env_of({{"A", "x"}, {"EMPTY", ""}});
    EXPECT_EQ(interpolate("a${A}b", env).value, "axb");
    EXPECT_EQ(interpolate("${MISSING:-d}", env).value, "d");
    EXPECT_EQ(interpolate("${EMPTY:-d}", env).value, "d");
    EXPECT_EQ(interpolate("${EMPTY}", env).value, "");
    EXPECT_EQ(interpolate("$${A} $5", env).value, "${A} $5");
    EXPECT_EQ(interpolate("${MISSING}", env).problems.size(), 1u);
    EXPECT_EQ(interpolate("${A", env).problems.size(), 1u);
    EXPECT_EQ(interpolate("${1A}", env).problems.size(), 1u);
}

TEST(Redact, HidesPasswordsInUrlsAndKeywords) {
    EXPECT_EQ(redact("postgresql://kt:pw@host:5432/db"), "postgresql://kt:***@host:5432/db");
    EXPECT_EQ(redact("see https://u:p@es:9200/x and http://plain/"),
              "see https://u:***@es:9200/x and http://plain/");
    EXPECT_EQ(redact("host=h password=secret user=u"), "host=h password=*** user=u");
    EXPECT_EQ(redact("postgresql://h/db?password=s&x=1"), "postgresql://h/db?password=***&x=1");
    EXPECT_TRUE(is_secret_key("sasl.password"));
    EXPECT_TRUE(is_secret_key("ssl.key.password"));
    EXPECT_FALSE(is_secret_key("session.timeout.ms"));
}

}  // namespace
}  // namespace kt::config
