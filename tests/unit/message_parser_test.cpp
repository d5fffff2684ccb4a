#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "workers/common/message_parser.hpp"

namespace kt::workers {
namespace {

using ::testing::HasSubstr;

constexpr const char* kNotIntegerOrString = "\"id\" must be an integer or a string";

/// Parses `payload` with a fresh parser and expects it to be accepted with `id`.
void expect_id(MessageParser& parser, const std::string& payload, const std::string& id) {
    const ParsedMessage parsed = parser.parse(payload);
    EXPECT_TRUE(parsed.ok) << payload << ": " << parsed.reason;
    EXPECT_EQ(parsed.id, id) << payload;
    EXPECT_TRUE(parsed.reason.empty()) << payload;
}

/// Expects `payload` to be poison with a reason containing `reason_part`.
void expect_poison(MessageParser& parser, const std::string& payload,
                   const std::string& reason_part) {
    const ParsedMessage parsed = parser.parse(payload);
    EXPECT_FALSE(parsed.ok) << payload << " parsed as id " << parsed.id;
    EXPECT_TRUE(parsed.id.empty());
    EXPECT_THAT(parsed.reason, HasSubstr(reason_part)) << payload;
}

/// Expects every one of `payloads` to be poison with a reason containing `reason_part`.
void expect_all_poison(MessageParser& parser, std::initializer_list<std::string> payloads,
                       const std::string& reason_part) {
    for (const auto& payload : payloads) expect_poison(parser, payload, reason_part);
}

TEST(MessageParser, AcceptsIntegerIds) {
    MessageParser parser;
    expect_id(parser, R"({"id": 42})", "42");
    expect_id(parser, R"({"id":0})", "0");
    expect_id(parser, R"({"id": -7})", "-7");
    expect_id(parser, R"(  {"id": 9223372036854775807}  )", "9223372036854775807");
    expect_id(parser, R"({"id": -9223372036854775808})", "-9223372036854775808");
}

TEST(MessageParser, AcceptsStringIds) {
    MessageParser parser;
    expect_id(parser, R"({"id": "sku-1"})", "sku-1");
    expect_id(parser, R"({"id": "42"})", "42");
    expect_id(parser, R"({"id": "007"})", "007");
    expect_id(parser, R"({"id": "caf\u00e9 \"quoted\""})", "caf\xc3\xa9 \"quoted\"");
    expect_id(parser, R"({"id": " spaced "})", " spaced ");
}

TEST(MessageParser, KeepsIdsBeyondSignedSixtyFourBitsAsIntegerText) {
    MessageParser parser;
    expect_id(parser, R"({"id": 9223372036854775808})", "9223372036854775808");
    expect_id(parser, R"({"id": 18446744073709551615})", "18446744073709551615");
}

TEST(MessageParser, KeepsIdsBeyondUnsignedSixtyFourBitsAsIntegerText) {
    MessageParser parser;
    expect_id(parser, R"({"id": 18446744073709551616})", "18446744073709551616");
    expect_id(parser, R"({"id": 123456789012345678901234567890})",
              "123456789012345678901234567890");
    expect_id(parser, R"({"id": -99999999999999999999})", "-99999999999999999999");
}

TEST(MessageParser, IgnoresHugeNumbersInOtherMembers) {
    MessageParser parser;
    expect_id(parser, R"({"id": 4, "checksum": 340282366920938463463374607431768211456})", "4");
    expect_id(parser, R"({"big": -99999999999999999999, "id": "sku-2"})", "sku-2");
    expect_poison(parser, R"({"id": "", "big": 99999999999999999999})", "empty string");
    expect_poison(parser, R"({"big": 99999999999999999999})", "no \"id\" member");
}

TEST(MessageParser, RejectsMalformedNumbers) {
    MessageParser parser;
    expect_all_poison(parser,
                      {R"({"id": 01})", R"({"id": 0123456789012345678901})", R"({"id": -})",
                       R"({"id": 1.2.3})"},
                      "not JSON");
    expect_poison(parser, R"({"id": 99999999999999999999.5})", "");
}

TEST(MessageParser, RejectsFractionAndFloatIds) {
    MessageParser parser;
    expect_all_poison(parser,
                      {R"({"id": 1.5})", R"({"id": 2.0})", R"({"id": 1e3})", R"({"id": -0.25})"},
                      kNotIntegerOrString);
}

TEST(MessageParser, RejectsIdsOfOtherTypes) {
    MessageParser parser;
    expect_all_poison(
        parser, {R"({"id": null})", R"({"id": true})", R"({"id": [1]})", R"({"id": {"id": 1}})"},
        kNotIntegerOrString);
}

TEST(MessageParser, RejectsMissingId) {
    MessageParser parser;
    expect_all_poison(parser, {R"({})", R"({"ID": 1, "payload": {"id": 2}})"}, "no \"id\" member");
}

TEST(MessageParser, RejectsValuesThatAreNotObjects) {
    MessageParser parser;
    expect_all_poison(parser, {R"([{"id": 1}])", "42", R"("id")", "null"}, "not a JSON object");
}

TEST(MessageParser, RejectsTextThatIsNotJson) {
    MessageParser parser;
    expect_all_poison(parser, {"{id: 1}", R"({"id": 1)", "hello", R"({"id": 1} trailing)"},
                      "not JSON");
    expect_poison(parser, "", "empty message");
}

TEST(MessageParser, RejectsInvalidUtf8) {
    MessageParser parser;
    expect_all_poison(parser, {"{\"id\": \"\xff\xfe\"}", "{\"id\": 1, \"note\": \"\xc3\x28\"}"},
                      "UTF-8");
}

TEST(MessageParser, RejectsMessagesOverOneMebibyte) {
    MessageParser parser;
    const std::string head = R"({"id": 5, "pad": ")";
    const std::string tail = "\"}";
    std::string at_limit =
        head + std::string(kMaxMessageBytes - head.size() - tail.size(), 'x') + tail;
    ASSERT_EQ(at_limit.size(), kMaxMessageBytes);
    expect_id(parser, at_limit, "5");

    std::string over =
        head + std::string(kMaxMessageBytes - head.size() - tail.size() + 1, 'x') + tail;
    ASSERT_EQ(over.size(), kMaxMessageBytes + 1);
    expect_poison(parser, over, "oversized");
}

TEST(MessageParser, RejectsEmptyOverlongAndNulStringIds) {
    MessageParser parser;
    expect_poison(parser, R"({"id": ""})", "empty string");
    expect_id(parser, R"({"id": ")" + std::string(kMaxIdBytes, 'a') + "\"}",
              std::string(kMaxIdBytes, 'a'));
    expect_poison(parser, R"({"id": ")" + std::string(kMaxIdBytes + 1, 'a') + "\"}", "limit");
    expect_poison(parser, R"({"id": "a\u0000b"})", "NUL");
}

TEST(MessageParser, IgnoresExtraMembers) {
    MessageParser parser;
    expect_id(parser, R"({"id": 12, "cascaded": true})", "12");
    expect_id(parser, R"({"cascaded": true, "id": "x-1", "source": {"table": "products"}})", "x-1");
    expect_id(parser, R"({"id": 3, "extra": [1, 2, {"nested": null}], "n": 1.5})", "3");
}

TEST(MessageParser, ReusedParserKeepsNoStateBetweenMessages) {
    MessageParser parser;
    expect_id(parser, R"({"id": 1})", "1");
    expect_poison(parser, "not json", "not JSON");
    expect_id(parser, R"({"id": "second"})", "second");
    expect_poison(parser, R"({"other": 1})", "no \"id\" member");
    expect_id(parser, R"({"id": 3})", "3");
}

}  // namespace
}  // namespace kt::workers
