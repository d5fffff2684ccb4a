#include <gtest/gtest.h>

#include <limits>

#include "lib/metrics/exposition.hpp"

namespace kt::metrics {
namespace {

TEST(MetricsExposition, EscapesBackslashQuoteAndNewlineInLabelValues) {
    EXPECT_EQ(escape_label_value("plain"), "plain");
    EXPECT_EQ(escape_label_value("a\"b"), "a\\\"b");
    EXPECT_EQ(escape_label_value("a\\b"), "a\\\\b");
    EXPECT_EQ(escape_label_value("a\nb"), "a\\nb");
    EXPECT_EQ(escape_label_value("ünï"), "ünï");
}

TEST(MetricsExposition, HelpEscapesBackslashAndNewlineButNotQuotes) {
    EXPECT_EQ(escape_help("say \"hi\"\\\n"), "say \"hi\"\\\\\\n");
}

TEST(MetricsExposition, FormatsValuesAsShortestDecimalsAndSpecialWords) {
    EXPECT_EQ(format_value(0), "0");
    EXPECT_EQ(format_value(42), "42");
    EXPECT_EQ(format_value(-1.5), "-1.5");
    EXPECT_EQ(format_value(0.1), "0.1");
    EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
    EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
    EXPECT_EQ(format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(MetricsExposition, FormatsLabelSetsWithOptionalTrailingLabel) {
    EXPECT_EQ(format_labels({}), "");
    EXPECT_EQ(format_labels({}, "le=\"1\""), "{le=\"1\"}");
    EXPECT_EQ(format_labels({{"a", "1"}, {"b", "x\"y"}}), "{a=\"1\",b=\"x\\\"y\"}");
    EXPECT_EQ(format_labels({{"a", "1"}}, "le=\"+Inf\""), "{a=\"1\",le=\"+Inf\"}");
}

}  // namespace
}  // namespace kt::metrics
