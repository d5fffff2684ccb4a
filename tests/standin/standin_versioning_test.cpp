#include <gtest/gtest.h>

#include "tools/es-standin/versioning.hpp"

namespace kt::tools::standin {
namespace {

WriteConditions external(int64_t version, WriteOp op = WriteOp::kIndex) {
    WriteConditions c;
    c.op = op;
    c.version = version;
    c.version_type = VersionType::kExternal;
    return c;
}

TEST(StandinVersioning, ExternalVersionMustBeHigher) {
    const VersionedState current{5, 3, 1, false};
    const auto same = decide_write(external(5), "1", current);
    ASSERT_TRUE(same.conflict.has_value());
    EXPECT_EQ(*same.conflict,
              "[1]: version conflict, current version [5] is higher or equal to the one provided "
              "[5]");
    const auto higher = decide_write(external(6), "1", current);
    EXPECT_FALSE(higher.conflict.has_value());
    EXPECT_EQ(higher.version, 6);
    EXPECT_TRUE(higher.found);
}

TEST(StandinVersioning, ExternalGteAcceptsEqualVersion) {
    WriteConditions c = external(5);
    c.version_type = VersionType::kExternalGte;
    EXPECT_FALSE(decide_write(c, "1", VersionedState{5, 0, 1, false}).conflict.has_value());
    c.version = 4;
    const auto lower = decide_write(c, "1", VersionedState{5, 0, 1, false});
    ASSERT_TRUE(lower.conflict.has_value());
    EXPECT_EQ(*lower.conflict,
              "[1]: version conflict, current version [5] is higher than the one provided [4]");
}

TEST(StandinVersioning, TombstoneVersionStillConflicts) {
    const VersionedState tombstone{7, 9, 1, true};
    EXPECT_TRUE(decide_write(external(6), "1", tombstone).conflict.has_value());
    const auto newer = decide_write(external(8), "1", tombstone);
    EXPECT_FALSE(newer.conflict.has_value());
    EXPECT_FALSE(newer.found);
}

TEST(StandinVersioning, InternalVersionsCountUpAcrossDeletes) {
    WriteConditions c;
    EXPECT_EQ(decide_write(c, "1", std::nullopt).version, 1);
    EXPECT_EQ(decide_write(c, "1", VersionedState{2, 1, 1, true}).version, 3);
}

TEST(StandinVersioning, CreateConflictsWithLiveDocumentOnly) {
    WriteConditions c;
    c.op = WriteOp::kCreate;
    const auto conflict = decide_write(c, "x", VersionedState{1, 0, 1, false});
    ASSERT_TRUE(conflict.conflict.has_value());
    EXPECT_EQ(*conflict.conflict,
              "[x]: version conflict, document already exists (current version [1])");
    EXPECT_FALSE(decide_write(c, "x", VersionedState{2, 1, 1, true}).conflict.has_value());
}

TEST(StandinVersioning, IfSeqNoMustMatch) {
    WriteConditions c;
    c.if_seq_no = 4;
    c.if_primary_term = 1;
    EXPECT_FALSE(decide_write(c, "1", VersionedState{3, 4, 1, false}).conflict.has_value());
    const auto stale = decide_write(c, "1", VersionedState{3, 5, 1, false});
    ASSERT_TRUE(stale.conflict.has_value());
    EXPECT_EQ(*stale.conflict,
              "[1]: version conflict, required seqNo [4], primary term [1]. current document has "
              "seqNo [5] and primary term [1]");
    EXPECT_TRUE(decide_write(c, "1", std::nullopt).conflict.has_value());
}

TEST(StandinVersioning, ValidationRejectsInternalExplicitVersion) {
    WriteConditions c;
    c.version = 3;
    EXPECT_NE(validate_conditions(c).find("internal versioning can not be used"),
              std::string::npos);
    WriteConditions create;
    create.op = WriteOp::kCreate;
    create.version_type = VersionType::kExternal;
    create.version = 1;
    EXPECT_EQ(validate_conditions(create),
              "create operations only support internal versioning. use index instead");
    EXPECT_TRUE(validate_conditions(external(1)).empty());
}

TEST(StandinVersioning, TombstoneExpiresAfterGcDeletes) {
    const auto t0 = std::chrono::steady_clock::time_point{};
    EXPECT_TRUE(tombstone_alive(t0, t0 + std::chrono::seconds(59), std::chrono::seconds(60)));
    EXPECT_FALSE(tombstone_alive(t0, t0 + std::chrono::seconds(60), std::chrono::seconds(60)));
}

}  // namespace
}  // namespace kt::tools::standin
