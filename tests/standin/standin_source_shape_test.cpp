#include <gtest/gtest.h>

#include "tools/es-standin/source_shape.hpp"

namespace kt::tools::standin {
namespace {

using Fields = std::vector<std::pair<std::string, FieldKind>>;

TEST(StandinSourceShape, TopLevelFieldsAndTheirKinds) {
    const SourceShape shape = inspect_source(
        R"({"s":"x","i":-3,"u":18446744073709551615,"f":1.5,"e":1e3,"b":true,"n":null,)"
        R"("o":{"deep":[1]},"a":[],"s":"duplicate"})");
    ASSERT_TRUE(shape.valid) << shape.error;
    EXPECT_TRUE(shape.is_object);
    EXPECT_EQ(shape.fields, (Fields{{"s", FieldKind::kString},
                                    {"i", FieldKind::kInteger},
                                    {"u", FieldKind::kInteger},
                                    {"f", FieldKind::kFloat},
                                    {"e", FieldKind::kFloat},
                                    {"b", FieldKind::kBool},
                                    {"n", FieldKind::kNull},
                                    {"o", FieldKind::kObject},
                                    {"a", FieldKind::kArray},
                                    {"s", FieldKind::kString}}));
}

TEST(StandinSourceShape, AnIntegerBeyondSixtyFourBitsIsStillAValidNumber) {
    const SourceShape shape = inspect_source(R"({"big":123456789012345678901234567890})");
    ASSERT_TRUE(shape.valid) << shape.error;
    ASSERT_EQ(shape.fields.size(), 1u);
    EXPECT_EQ(shape.fields[0].first, "big");
    EXPECT_EQ(shape.fields[0].second, FieldKind::kFloat);
}

TEST(StandinSourceShape, NonObjectsNameTheirFirstToken) {
    EXPECT_EQ(inspect_source("[1]").first_token, "START_ARRAY");
    EXPECT_EQ(inspect_source(R"("x")").first_token, "VALUE_STRING");
    EXPECT_EQ(inspect_source("7").first_token, "VALUE_NUMBER_INT");
    EXPECT_EQ(inspect_source("7.5").first_token, "VALUE_NUMBER_FLOAT");
    EXPECT_EQ(inspect_source("false").first_token, "VALUE_FALSE");
    EXPECT_EQ(inspect_source("null").first_token, "VALUE_NULL");
    EXPECT_FALSE(inspect_source("[1]").is_object);
    EXPECT_TRUE(inspect_source("[1]").valid);
}

TEST(StandinSourceShape, MalformedJsonIsInvalidWithAReason) {
    for (const char* text : {R"({"a":)", R"({"a":1}x)", R"({"a":"\xff"})", "", R"({'a':1})"}) {
        SCOPED_TRACE(text);
        const SourceShape shape = inspect_source(text);
        EXPECT_FALSE(shape.valid);
        EXPECT_FALSE(shape.error.empty());
    }
}

}  // namespace
}  // namespace kt::tools::standin
