// kt reindex's command line: which options go together, and the real kt executable's answer to
// those that do not (a usage error, exit 2, before any config is read). kt's error guard.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "cmd/kt/guard.hpp"
#include "cmd/kt/reindex.hpp"
#include "lib/error.hpp"
#include "tests/support/run_command.hpp"

namespace kt::cmd {
namespace {

using ::testing::HasSubstr;

ReindexArgs ids_args(const std::string& ids) {
    ReindexArgs args;
    args.index = "products";
    args.ids = ids;
    return args;
}

TEST(ReindexUsage, IdsWithAFullRebuildOptionIsAnErrorNamingIt) {
    ReindexArgs args = ids_args("1,2");
    args.parallel = 1;
    auto error = reindex_usage_error(args);
    ASSERT_TRUE(error.has_value());
    EXPECT_THAT(*error, HasSubstr("--ids cannot be combined with --parallel"));

    args = ids_args("1");
    args.keep_old = true;
    args.no_swap = true;
    error = reindex_usage_error(args);
    ASSERT_TRUE(error.has_value());
    EXPECT_THAT(*error, HasSubstr("--keep-old, --no-swap"));

    args = ReindexArgs{};
    args.ids_file = "ids.txt";
    args.no_swap = true;
    error = reindex_usage_error(args);
    ASSERT_TRUE(error.has_value());
    EXPECT_THAT(*error, HasSubstr("--ids-file cannot be combined with --no-swap"));
}

TEST(ReindexUsage, AnEmptyIdListIsAnError) {
    for (const char* ids : {"", ",", " , \n"}) {
        const auto error = reindex_usage_error(ids_args(ids));
        ASSERT_TRUE(error.has_value()) << "'" << ids << "'";
        EXPECT_THAT(*error, HasSubstr("--ids names no id"));
    }
}

TEST(ReindexUsage, EachModeAloneIsFine) {
    EXPECT_FALSE(reindex_usage_error(ids_args("1,2,3")).has_value());
    ReindexArgs file;
    file.ids_file = "ids.txt";
    EXPECT_FALSE(reindex_usage_error(file).has_value());
    ReindexArgs full;
    full.parallel = 4;
    full.keep_old = true;
    full.no_swap = true;
    EXPECT_FALSE(reindex_usage_error(full).has_value());
}

test::CommandResult kt_reindex(const std::string& args) {
    // No config file exists there: a usage error must be found before the config is read.
    return test::run_command(std::string(KT_BINARY_DIR) + "/cmd/kt reindex products " + args +
                             " --config /nonexistent/kt.yaml");
}

TEST(KtReindexCli, EmptyIdsIsAUsageErrorNotAFullRebuild) {
    const auto run = kt_reindex("--ids ''");
    EXPECT_EQ(run.exit_code, 2) << run.output;
    EXPECT_THAT(run.output, HasSubstr("--ids names no id"));
}

TEST(KtReindexCli, IdsWithFullRebuildOptionsAreAUsageError) {
    for (const std::string option : {"--parallel 2", "--keep-old", "--no-swap"}) {
        const auto run = kt_reindex("--ids 1,2 " + option);
        EXPECT_EQ(run.exit_code, 2) << run.output;
        EXPECT_THAT(run.output, HasSubstr("cannot be combined with " + option.substr(0, 10)))
            << run.output;
    }
    const auto run = kt_reindex("--ids-file ids.txt --parallel 1");
    EXPECT_EQ(run.exit_code, 2) << run.output;
    EXPECT_THAT(run.output, HasSubstr("--ids-file cannot be combined with --parallel"));
}

TEST(KtGuard, AnyExceptionIsReportedAndExitsOne) {
    EXPECT_EQ(run_guarded([] { return 7; }), 7);
    testing::internal::CaptureStderr();
    const int code = run_guarded([]() -> int { throw std::out_of_range("map::at"); });
    const std::string printed = testing::internal::GetCapturedStderr();
    EXPECT_EQ(code, 1);
    EXPECT_THAT(printed, HasSubstr("unexpected failure: map::at"));
    testing::internal::CaptureStderr();
    EXPECT_EQ(run_guarded([]() -> int { throw kt::Error("postgres: gone"); }), 1);
    EXPECT_THAT(testing::internal::GetCapturedStderr(), HasSubstr("postgres: gone"));
    testing::internal::CaptureStderr();
    EXPECT_EQ(run_guarded([]() -> int { throw 42; }), 1);
    EXPECT_THAT(testing::internal::GetCapturedStderr(), HasSubstr("unexpected failure"));
}

}  // namespace
}  // namespace kt::cmd
