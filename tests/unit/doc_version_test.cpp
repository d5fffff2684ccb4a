#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>

#include "lib/error.hpp"
#include "workers/common/doc_version.hpp"

namespace kt::workers {
namespace {

constexpr std::int64_t kLongMax = std::numeric_limits<std::int64_t>::max();

TEST(DocVersion, ScalesTheCountBySixteenBits) {
    EXPECT_EQ(external_version(0), 0);
    EXPECT_EQ(external_version(1), 65536);
    EXPECT_EQ(external_version(731), 731LL * 65536);
}

TEST(DocVersion, LargestCountStillLeavesRoomForEveryForeignWriteBelowTheLongLimit) {
    // 2^47 - 1 counts: at 100,000 commits a second that is 44 years of transactions.
    EXPECT_EQ(kMaxSnapshotCount, (std::int64_t{1} << 47) - 1);
    EXPECT_GE(kMaxSnapshotCount / 100'000 / (365LL * 24 * 3600), 44);
    const std::int64_t top = external_version(kMaxSnapshotCount);
    // 65,535 foreign increments on the largest version reach exactly Elasticsearch's long max.
    EXPECT_EQ(top + (kVersionScale - 1), kLongMax);
    const VersionReading reading = read_version(kLongMax, kMaxSnapshotCount);
    EXPECT_EQ(reading.origin, VersionOrigin::kForeign);
    EXPECT_EQ(reading.count, kMaxSnapshotCount);
    EXPECT_EQ(reading.foreign_writes, 65535);
    EXPECT_FALSE(reading.ahead);
}

TEST(DocVersion, ACountWithoutAVersionThrowsNamingTheRange) {
    EXPECT_THROW((void)external_version(kMaxSnapshotCount + 1), Error);
    EXPECT_THROW((void)external_version(-1), Error);
    try {
        (void)external_version(kMaxSnapshotCount + 1);
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("140737488355327"), std::string::npos) << e.what();
    }
}

TEST(DocVersion, ANewerCountBeatsAnOlderVersionWithEveryForeignWriteOnIt) {
    for (const std::int64_t count : {std::int64_t{1}, std::int64_t{900'000'000},
                                     kMaxSnapshotCount - 1}) {
        const std::int64_t older_with_foreign = external_version(count) + (kVersionScale - 1);
        EXPECT_GT(external_version(count + 1), older_with_foreign) << count;
        // …while kt's own order stays: an older count never reaches a newer kt version.
        EXPECT_LT(external_version(count), external_version(count + 1));
    }
}

TEST(DocVersion, ReadsKtsOwnVersion) {
    const VersionReading reading = read_version(external_version(500), 520);
    EXPECT_EQ(reading.origin, VersionOrigin::kKt);
    EXPECT_EQ(reading.count, 500);
    EXPECT_EQ(reading.foreign_writes, 0);
    EXPECT_FALSE(reading.ahead);
}

TEST(DocVersion, ReadsForeignIncrementsOnKtsVersion) {
    const VersionReading reading = read_version(external_version(500) + 3, 520);
    EXPECT_EQ(reading.origin, VersionOrigin::kForeign);
    EXPECT_EQ(reading.count, 500);
    EXPECT_EQ(reading.foreign_writes, 3);
    EXPECT_FALSE(reading.ahead);
}

TEST(DocVersion, AVersionAtMostTheDatabaseCountIsAnUnscaledOneOfOlderKt) {
    EXPECT_EQ(read_version(520, 520).origin, VersionOrigin::kUnscaled);
    EXPECT_EQ(read_version(520, 520).count, 520);
    EXPECT_EQ(read_version(1, 520).origin, VersionOrigin::kUnscaled);
    EXPECT_EQ(read_version(0, 520).origin, VersionOrigin::kUnscaled);
}

TEST(DocVersion, AVersionAboveAnyCountTheDatabaseReachedIsAheadAndForeign) {
    // An external version another writer chose (9e15), on a database at count 520.
    const VersionReading reading = read_version(9'000'000'000'000'000, 520);
    EXPECT_EQ(reading.origin, VersionOrigin::kForeign);
    EXPECT_TRUE(reading.ahead);
    // Even one on kt's scale: count 521 was never a snapshot's when the database is at 520.
    const VersionReading scaled = read_version(external_version(521), 520);
    EXPECT_EQ(scaled.origin, VersionOrigin::kForeign);
    EXPECT_TRUE(scaled.ahead);
    EXPECT_EQ(scaled.foreign_writes, 0);
}

TEST(DocVersion, NegativeVersionsAreForeign) {
    EXPECT_EQ(read_version(-5, 520).origin, VersionOrigin::kForeign);
}

TEST(DocVersion, ReadsTheCurrentVersionOutOfEveryConflictReason) {
    EXPECT_EQ(conflict_current_version("[2]: version conflict, current version [5] is higher"),
              5);
    EXPECT_EQ(conflict_current_version("[1]: version conflict, current version "
                                       "[9223372036854775807] is higher than the one provided [4]"),
              kLongMax);
    EXPECT_EQ(conflict_current_version(
                  "[1]: version conflict, current version [65537] is higher or equal to the one "
                  "provided [65536]"),
              65537);
    EXPECT_EQ(conflict_current_version(
                  "[x]: version conflict, document already exists (current version [1])"),
              1);
}

TEST(DocVersion, AConflictReasonWithoutAReadableVersionNamesNone) {
    for (const char* reason : {"", "version conflict", "current version [abc]",
                               "current version [12", "current version [99999999999999999999]"}) {
        EXPECT_EQ(conflict_current_version(reason), std::nullopt) << reason;
    }
}

TEST(DocVersion, OnlyAConflictWithForeignLowBitsOrNoVersionNeedsARepair) {
    EXPECT_FALSE(conflict_needs_repair(external_version(7)));  // a newer write of kt's own
    EXPECT_TRUE(conflict_needs_repair(external_version(7) + 1));
    EXPECT_TRUE(conflict_needs_repair(kLongMax));
    EXPECT_TRUE(conflict_needs_repair(std::nullopt));
}

}  // namespace
}  // namespace kt::workers
