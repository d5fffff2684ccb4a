#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lib/error.hpp"
#include "lib/log/log.hpp"

namespace kt::log {
namespace {

TEST(LogRender, TextLineCarriesLevelMessageAndQuotedFields) {
    const std::string line =
        render(Format::kText, Level::kInfo, "batch done",
               {{"index", "products"}, {"error", "two words"}}, "2026-01-01T00:00:00.000Z");
    EXPECT_EQ(line, "2026-01-01T00:00:00.000Z info  batch done index=products error=\"two words\"");
}

TEST(LogRender, JsonLineIsOneParsableObject) {
    const std::string line = render(Format::kJson, Level::kWarn, "say \"hi\"\n", {{"n", "3"}},
                                    "2026-01-01T00:00:00.000Z");
    EXPECT_EQ(line.find('\n'), std::string::npos);
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["level"], "warn");
    EXPECT_EQ(j["msg"], "say \"hi\"\n");
    EXPECT_EQ(j["n"], "3");
}

TEST(LogRender, JsonSurvivesInvalidUtf8) {
    const std::string line =
        render(Format::kJson, Level::kError, std::string("bad \xff byte"), {}, "t");
    EXPECT_TRUE(nlohmann::json::accept(line));
}

TEST(LogParse, RejectsUnknownFormatByName) {
    EXPECT_EQ(parse_format("json"), Format::kJson);
    try {
        (void)parse_format("xml");
        FAIL() << "expected kt::Error";
    } catch (const kt::Error& e) {
        EXPECT_NE(std::string(e.what()).find("xml"), std::string::npos);
    }
}

}  // namespace
}  // namespace kt::log
