// Hostile input for the pure readers: the instant message parser, the delay envelope parser
// and the config loader. Rules (docs/development.md, "Hostile input"): broken, oversized or too deeply
// nested input is poison (a config error), never a crash, a hang or an exception.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "lib/config/loader.hpp"
#include "lib/wire/json_scan.hpp"
#include "lib/wire/messages.hpp"
#include "tests/unit/config_test_support.hpp"
#include "workers/delayer/envelope.hpp"
#include "workers/common/message_parser.hpp"

namespace kt::workers {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::size_t kTenMegabytes = 10 * 1024 * 1024;

std::string nested(std::size_t levels) {
    return std::string(levels, '[') + std::string(levels, ']');
}

void expect_id(const std::string& payload, const std::string& id) {
    MessageParser parser;
    const ParsedMessage m = parser.parse(payload);
    EXPECT_TRUE(m.ok) << payload.substr(0, 200) << ": " << m.reason;
    EXPECT_EQ(m.id, id) << payload.substr(0, 200);
}

/// Expects `input` to be poison to a fresh `Parser`, with a reason containing `reason_part`.
template <class Parser>
void expect_poison_to(const std::string& input, const std::string& reason_part) {
    Parser parser;
    const auto parsed = parser.parse(input);
    EXPECT_FALSE(parsed.ok) << input.substr(0, 200) << " parsed as id " << parsed.id;
    EXPECT_THAT(parsed.reason, HasSubstr(reason_part)) << input.substr(0, 200);
}

void expect_poison(const std::string& payload, const std::string& reason_part) {
    expect_poison_to<MessageParser>(payload, reason_part);
}

TEST(HostileMessage, NotUtf8IsPoisonWherever) {
    expect_poison("{\"id\": \"\xff\xfe\"}", "UTF-8");
    expect_poison("{\"id\": 1, \"name\": \"caf\xe9\"}", "UTF-8");           // Latin-1
    expect_poison("{\"id\": \"\xc0\xaf\"}", "UTF-8");                      // overlong '/'
    expect_poison("{\"id\": \"\xed\xa0\x80\"}", "UTF-8");                  // a surrogate
    expect_poison("{\"id\": \"\xf4\x90\x80\x80\"}", "UTF-8");              // beyond U+10FFFF
    expect_poison("{\"\xff\": 1, \"id\": 2}", "UTF-8");                    // in a key
    expect_poison("{\"id\": \"\\ud800\"}", "not JSON");                    // lone surrogate escape
    expect_poison("{\"x\": 123456789012345678901234567890, \"id\": \"\xff\"}", "UTF-8");
    expect_id("{\"id\": \"caf\xc3\xa9 \\ud83d\\ude00\"}", "caf\xc3\xa9 \xf0\x9f\x98\x80");
}

TEST(HostileMessage, DeepNestingIsPoisonWithoutExhaustingTheStack) {
    expect_poison(R"({"id": 1, "x": )" + nested(100'000) + "}", "deep");
    expect_poison(R"({"id": )" + nested(100'000) + "}", "deep");
    expect_poison(std::string(100'000, '{'), "not JSON");
    // The fallback for numbers beyond 64 bits walks iteratively and keeps the same limit.
    expect_poison(R"({"n": 123456789012345678901234567890, "x": )" + nested(100'000) + "}",
                  "deep");
    // simdjson's limit, 1024 levels with the message object itself, is kept on both paths.
    expect_id(R"({"id": 1, "x": )" + nested(1023) + "}", "1");
    expect_poison(R"({"id": 1, "x": )" + nested(1024) + "}", "deep");
    expect_id(R"({"n": 123456789012345678901234567890, "id": 1, "x": )" + nested(1023) + "}", "1");
    expect_poison(R"({"n": 123456789012345678901234567890, "id": 1, "x": )" + nested(1024) + "}",
                  "deep");
}

TEST(HostileMessage, TenMegabytesArePoisonAtOnce) {
    const std::string big = R"({"id": 1, "pad": ")" + std::string(kTenMegabytes, 'x') + "\"}";
    expect_poison(big, "oversized message: " + std::to_string(big.size()) +
                           " bytes (limit 1048576)");
    // Just below the limit a padded message is still read.
    expect_id(R"({"id": 1, "pad": ")" + std::string(kMaxMessageBytes - 30, 'x') + "\"}", "1");
}

TEST(HostileMessage, SqlLookingIdsAreTakenVerbatim) {
    // Ids are bound parameters ($1), never SQL text: these are just unusual ids.
    expect_id(R"({"id": "1; DROP TABLE x"})", "1; DROP TABLE x");
    expect_id(R"({"id": "' OR '1'='1"})", "' OR '1'='1");
    expect_id(R"({"id": "Robert'); DROP TABLE students;--"})", "Robert'); DROP TABLE students;--");
    expect_id(R"({"id": "\"quoted\" \\ back"})", "\"quoted\" \\ back");
    expect_id(R"({"id": "$1"})", "$1");
    // Not a JSON number, so `1; DROP TABLE x` unquoted is no message at all.
    expect_poison(R"({"id": 1; DROP TABLE x})", "not JSON");
}

TEST(HostileMessage, NumericIdRules) {
    // Integers of any length are ids, kept as their decimal text (beyond 2^63 too: a numeric
    // key may hold them; a bigint key rejects them in the query and the id is dead-lettered).
    expect_id(R"({"id": 9223372036854775808})", "9223372036854775808");
    expect_id(R"({"id": -9223372036854775809})", "-9223372036854775809");
    expect_id(R"({"id": 100000000000000000000000000000000000000000})",
              "100000000000000000000000000000000000000000");
    expect_id(R"({"id": -42})", "-42");
    expect_id(R"({"id": -0})", "0");
    // Fractions and exponents never name a row, even when their value is whole.
    expect_poison(R"({"id": 1.0})", "must be an integer or a string");
    expect_poison(R"({"id": 1e3})", "must be an integer or a string");
    expect_poison(R"({"id": -0.0})", "must be an integer or a string");
    expect_poison(R"({"id": 1.5, "x": 123456789012345678901234567890})",
                  "must be an integer or a string, got 1.5");
    // A number beyond a double's range is not JSON kt reads, wherever it is.
    expect_poison(R"({"id": 1, "x": 1e400})", "not JSON");
    expect_poison(R"({"id": 01})", "not JSON");
    expect_poison(R"({"id": +1})", "not JSON");
    expect_poison(R"({"id": NaN})", "not JSON");
}

TEST(HostileMessage, BrokenJsonAfterABigNumberIsPoison) {
    // simdjson stops at the first number it refuses; the fallback reads on to the end.
    expect_poison(R"({"x": 123456789012345678901234567890, "id": 5, "y": tru})", "not JSON");
    expect_poison(R"({"id": 123456789012345678901234567890])", "not JSON");
    expect_poison(R"({"id": 123456789012345678901234567890} trailing)", "not JSON");
    expect_poison(R"({"id": 123456789012345678901234567890, "id": )", "not JSON");
    expect_poison("\xEF\xBB\xBF{\"id\": 1}", "not JSON");
    // A NUL byte ends nlohmann's input: the fallback must not read `{...}\0junk` as `{...}`.
    expect_poison(std::string(R"({"x": 123456789012345678901234567890, "id": 1})") + '\0' + "junk",
                  "not JSON");
}

TEST(HostileMessage, EmptyAndBlankValuesArePoison) {
    expect_poison("", "empty message");
    expect_poison("   \n", "not JSON");
    expect_poison("null", "not a JSON object");
    expect_poison("{}", "no \"id\" member");
    expect_poison(std::string(1, '\0'), "not JSON");
    expect_poison(R"({"id": ""})", "empty string");
    expect_poison(R"({"id": "a\u0000b"})", "NUL");
}

TEST(HostileMessage, AcceptedIdsRoundTripThroughTheMessagesKtProduces) {
    MessageParser parser;
    const std::vector<std::string> ids{
        "42", "-7", "0", "007", "9223372036854775808", "123456789012345678901234567890",
        "1; DROP TABLE x", "' OR '1'='1", "\"quoted\"", "back\\slash", "caf\xc3\xa9",
        "tab\there", std::string(kMaxIdBytes, 'x')};
    for (const auto& id : ids) {
        const ParsedMessage back = parser.parse(wire::instant_message(id));
        EXPECT_TRUE(back.ok) << id << ": " << back.reason;
        EXPECT_EQ(back.id, id);
    }
}

void expect_envelope_poison(const std::string& value, const std::string& reason_part) {
    expect_poison_to<EnvelopeParser>(value, reason_part);
}

TEST(HostileEnvelope, BrokenJsonAnywhereIsPoison) {
    // Members the delayer does not read are checked too, not skipped.
    expect_envelope_poison(R"({"payload": {"id": 1}, "junk": tru})", "not JSON");
    expect_envelope_poison(R"({"payload": {"id": 1, "x": nul}})", "not JSON");
    expect_envelope_poison("{\"payload\": {\"id\": 1, \"name\": \"\xff\"}}", "UTF-8");
    expect_envelope_poison(R"({"payload": {"id": 1}, "x": 1e400})", "not JSON");
    expect_envelope_poison(R"({"payload": {"id": 123456789012345678901234567890}, "y": [})",
                           "not JSON");
    expect_envelope_poison(R"({"payload": {"id": 1}, "x": )" + nested(100'000) + "}", "deep");
    expect_envelope_poison(R"({"payload": {"id": 1}, "created_at": "yesterday"})",
                           "created_at");
}

TEST(HostileEnvelope, TenMegabytesArePoisonAtOnce) {
    expect_envelope_poison(
        R"({"payload": {"id": 1, "pad": ")" + std::string(kTenMegabytes, 'x') + "\"}}",
        "oversized envelope");
}

TEST(HostileEnvelope, EmptyOrBadTopicsArePoison) {
    expect_envelope_poison(R"({"payload": {"id": 1}, "topic": ""})", "not a valid Kafka topic");
    expect_envelope_poison(R"({"payload": {"id": 1}, "topic": "x; DROP TABLE y"})",
                           "not a valid Kafka topic");
    expect_envelope_poison(R"({"payload": {"id": 1}, "topic": ")" + std::string(250, 'a') + "\"}",
                           "not a valid Kafka topic");
    expect_envelope_poison("", "empty message");
}

TEST(HostileEnvelope, IdsReadAsTheIndexerReadsThePayload) {
    // The payload is re-published verbatim: the delayer's id must be the indexer's id.
    for (const std::string value :
         {R"({"payload": {"id": -0}})", R"({"payload": {"\u0069d": "escaped key"}})",
          R"({"payload": {"id": "first", "id": "second"}})",
          R"({"payload": {"id": "1; DROP TABLE x"}})",
          R"({"payload": {"id": 123456789012345678901234567890}})"}) {
        EnvelopeParser envelopes;
        MessageParser messages;
        const ParsedEnvelope e = envelopes.parse(value);
        ASSERT_TRUE(e.ok) << value << ": " << e.reason;
        const ParsedMessage m = messages.parse(value.substr(e.payload_pos, e.payload_len));
        ASSERT_TRUE(m.ok) << value << ": " << m.reason;
        EXPECT_EQ(e.id, m.id) << value;
    }
}

TEST(JsonScan, ReadsStrictlyAndIteratively) {
    EXPECT_TRUE(wire::scan_json(R"({"id": 123456789012345678901234567890})", "id").ok);
    const auto scan = wire::scan_json(R"({"a": {"id": 1}, "id": "x", "id": 2})", "id");
    EXPECT_TRUE(scan.ok);
    EXPECT_EQ(scan.kind, wire::MemberKind::kString);
    EXPECT_EQ(scan.value, "x");
    EXPECT_FALSE(wire::scan_json(nested(wire::kMaxJsonDepth + 1), "").ok);
    EXPECT_TRUE(wire::scan_json(nested(wire::kMaxJsonDepth), "").ok);
    EXPECT_FALSE(wire::scan_json("{\"x\": 123456789012345678901234567890, \"id\": \"\xff\"}", "id").ok);
    EXPECT_FALSE(wire::scan_json("\xEF\xBB\xBF{}", "").ok);
    const auto broken = wire::scan_json("{\"id\": 1,", "id");
    EXPECT_FALSE(broken.ok);
    EXPECT_FALSE(broken.error.empty());
    EXPECT_EQ(broken.kind, wire::MemberKind::kAbsent);
}

}  // namespace
}  // namespace kt::workers

namespace kt::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kHead = R"(kafka:
  brokers: localhost:9092
postgres:
  url: ${PG_URL}
elasticsearch:
  url: http://localhost:9200
)";

/// Loads yaml that must fail; returns every problem line and the what() text.
std::string load_error(const std::string& yaml) {
    try {
        (void)load_string(yaml, "hostile.yaml", "",
                          env_of({{"PG_URL", "postgresql://kt:pg-secret@db/kt"},
                                  {"ES_PASSWORD", "es-secret"}}));
    } catch (const ConfigError& e) {
        return problem_lines(e) + e.what();
    }
    ADD_FAILURE() << "loaded: " << yaml.substr(0, 200);
    return {};
}

TEST(HostileConfig, DeepNestingIsAConfigError) {
    EXPECT_THAT(load_error(std::string(100'000, '[')), HasSubstr("not valid YAML"));
    EXPECT_THAT(load_error(kHead + "indexes: " + std::string(100'000, '{')),
                HasSubstr("not valid YAML"));
    std::string block = kHead + "indexes:\n";
    for (int i = 0; i < 5000; ++i) block += std::string(static_cast<std::size_t>(i), ' ') + "a:\n";
    EXPECT_THAT(load_error(block), HasSubstr("hostile.yaml"));
}

TEST(HostileConfig, NotUtf8AndBinaryAreConfigErrors) {
    EXPECT_THAT(load_error(kHead + "indexes:\n  \xff\xfe: {table: t}\n"), HasSubstr("hostile.yaml"));
    EXPECT_THAT(load_error(std::string("\0\1\2\3", 4)), HasSubstr("hostile.yaml"));
    // Not UTF-8 in a value: the file loads or fails with a problem, never worse.
    try {
        (void)load_string(kHead + "indexes:\n  products: {table: \xff\xfe}\n", "hostile.yaml", "",
                          env_of({{"PG_URL", "postgresql://kt@db/kt"}}));
    } catch (const ConfigError& e) {
        EXPECT_FALSE(e.problems().empty());
    }
}

TEST(HostileConfig, DuplicateKeysAreErrors) {
    // YAML parsers disagree on which duplicate wins; kt refuses to guess.
    const std::string error = load_error(kHead +
                                         "indexes:\n"
                                         "  products: {table: products}\n"
                                         "delayers:\n"
                                         "  delay_5m: {delay: 5m, target: products}\n"
                                         "  delay_5m: {delay: 1h, target: products}\n");
    EXPECT_THAT(error, HasSubstr("hostile.yaml:11: delayers.delay_5m: duplicate key"));
    EXPECT_THAT(load_error(kHead + "indexes:\n  products:\n    table: a\n    table: b\n"),
                HasSubstr("indexes.products.table: duplicate key"));
}

TEST(HostileConfig, AliasesAndAnchorsDoNotExplode) {
    std::string yaml = kHead + "x0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n";
    for (int i = 1; i < 30; ++i) {
        yaml += "x" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
        for (int j = 0; j < 10; ++j) yaml += std::string(j ? ", " : "") + "*a" + std::to_string(i - 1);
        yaml += "]\n";
    }
    yaml += "indexes:\n  products: {table: products}\n";
    EXPECT_THAT(load_error(yaml), HasSubstr("x29: unknown key"));
    EXPECT_THAT(load_error(kHead + "indexes:\n  products: *nowhere\n"), HasSubstr("not valid YAML"));
}

/// Expects `error` to name every one of `problems` and neither secret of load_error's
/// environment.
void expect_problems_without_secrets(const std::string& error,
                                     std::initializer_list<std::string> problems) {
    EXPECT_THAT(error, Not(HasSubstr("es-secret")));
    EXPECT_THAT(error, Not(HasSubstr("pg-secret")));
    for (const auto& problem : problems) EXPECT_THAT(error, HasSubstr(problem));
}

TEST(HostileConfig, SecretsFromVariablesAreNotEchoedInErrors) {
    const std::string error = load_error(kHead +
                                         "indexes:\n"
                                         "  products:\n"
                                         "    table: products\n"
                                         "    batch_size: ${ES_PASSWORD}\n"
                                         "    batch_wait: ${PG_URL}\n");
    expect_problems_without_secrets(
        error, {"indexes.products.batch_size: expected an integer, got '${ES_PASSWORD}'",
                "indexes.products.batch_wait: bad duration '${PG_URL}'"});
    // Wherever the value ends up: here a password where a URL belongs, and a URL in a topic.
    const std::string elsewhere = load_error(
        "kafka:\n  brokers: localhost:9092\npostgres:\n  url: ${PG_URL}\nelasticsearch:\n"
        "  url: ${ES_PASSWORD}\nindexes:\n  products:\n    table: products\n"
        "    topic: ${PG_URL}\n");
    expect_problems_without_secrets(
        elsewhere, {"got '${ES_PASSWORD}'", "'${PG_URL}' is not a valid Kafka topic name"});
}

TEST(HostileConfig, NullQueryAndTableAreMissing) {
    // `table: null` was taken as given, so an index with neither query nor table loaded.
    EXPECT_THAT(load_error(kHead + "indexes:\n  products:\n    table: null\n"),
                HasSubstr("indexes.products.query: missing required key"));
    EXPECT_THAT(load_error(kHead + "indexes:\n  products:\n    query: ~\n    table:\n"),
                HasSubstr("indexes.products.query: missing required key"));
}

TEST(HostileConfig, MappingsFileThatIsADirectoryIsNamed) {
    // A directory opens as a stream and throws once read: it must be a problem, not a crash.
    EXPECT_THAT(load_error(kHead + "indexes:\n  products:\n    table: products\n"
                                   "    mappings_file: /\n"),
                HasSubstr("indexes.products.mappings_file: not a regular file: /"));
    try {
        (void)load_file("/");
        ADD_FAILURE() << "loaded a directory";
    } catch (const ConfigError& e) {
        EXPECT_THAT(e.what(), HasSubstr("is a directory"));
    }
}

TEST(HostileConfig, HugeNumbersAndOddScalarsAreNamed) {
    const std::string error = load_error(kHead +
                                         "indexes:\n"
                                         "  products:\n"
                                         "    table: products\n"
                                         "    batch_size: 99999999999999999999\n"
                                         "    batch_wait: 99999999999999999999h\n");
    EXPECT_THAT(error, HasSubstr("indexes.products.batch_size: expected an integer"));
    EXPECT_THAT(error, HasSubstr("indexes.products.batch_wait: bad duration"));
    EXPECT_THAT(load_error(kHead + "indexes:\n  ? [a, b]\n  : {table: t}\n"),
                HasSubstr("not a valid Elasticsearch index name"));
}

}  // namespace
}  // namespace kt::config
