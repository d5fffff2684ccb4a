#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "lib/pg/error.hpp"
#include "workers/common/isolating_load.hpp"

namespace kt::workers {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

/// A loader whose query cannot take ids that are not all digits, as `$1::bigint[]`.
struct FakeLoader {
    int calls = 0;
    pg::LoadResult operator()(const std::vector<std::string>& ids) {
        ++calls;
        for (const std::string& id : ids) {
            if (!std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; })) {
                throw pg::IdRejected("invalid input syntax for type bigint: \"" + id + "\"",
                                     "22P02");
            }
        }
        pg::LoadResult result;
        result.version = 7;
        for (const std::string& id : ids) result.rows.push_back({id, "{}"});
        return result;
    }
};

std::vector<std::string> loaded_ids(const IsolatedLoad& loaded) {
    std::vector<std::string> out;
    for (const auto& slice : loaded.slice_ids) out.insert(out.end(), slice.begin(), slice.end());
    return out;
}

TEST(IsolatingLoad, OneLoadWhenEveryIdIsTaken) {
    FakeLoader loader;
    const IsolatedLoad loaded = load_isolating({"1", "2", "3"}, std::ref(loader));
    EXPECT_EQ(loader.calls, 1);
    ASSERT_EQ(loaded.results.size(), 1U);
    EXPECT_EQ(loaded.results[0].rows.size(), 3U);
    EXPECT_THAT(loaded_ids(loaded), ElementsAre("1", "2", "3"));
    EXPECT_TRUE(loaded.rejected.empty());
}

TEST(IsolatingLoad, RejectedIdsAreSetAsideWithTheirReasonAndTheRestLoaded) {
    FakeLoader loader;
    const IsolatedLoad loaded =
        load_isolating({"1", "abc", "3", "4", "5", "x-9", "7"}, std::ref(loader));
    EXPECT_THAT(loaded_ids(loaded), ElementsAre("1", "3", "4", "5", "7"));
    ASSERT_EQ(loaded.results.size(), loaded.slice_ids.size());
    for (std::size_t i = 0; i < loaded.results.size(); ++i) {
        EXPECT_EQ(loaded.results[i].rows.size(), loaded.slice_ids[i].size());
    }
    ASSERT_EQ(loaded.rejected.size(), 2U);
    EXPECT_EQ(loaded.rejected[0].id, "abc");
    EXPECT_EQ(loaded.rejected[1].id, "x-9");
    EXPECT_THAT(loaded.rejected[0].reason,
                HasSubstr("id rejected by the query (SQLSTATE 22P02): invalid input syntax"));
}

TEST(IsolatingLoad, OtherFailuresPropagateAndNoIdsLoadNothing) {
    int calls = 0;
    const LoadFn never = [&](const std::vector<std::string>&) -> pg::LoadResult {
        ++calls;
        throw pg::QueryError("relation does not exist", "42P01");
    };
    EXPECT_THROW((void)load_isolating({"1", "2"}, never), pg::QueryError);
    EXPECT_EQ(calls, 1);
    const IsolatedLoad none = load_isolating({}, never);
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(none.results.empty());
}

}  // namespace
}  // namespace kt::workers
