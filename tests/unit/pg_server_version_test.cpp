#include <gtest/gtest.h>

#include "lib/pg/pinger.hpp"

namespace kt::pg {
namespace {

TEST(PgServerVersion, TwoPartsFromPostgreSQL10On) {
    EXPECT_EQ(server_version_name(150010), "15.10");
    EXPECT_EQ(server_version_name(130000), "13.0");
    EXPECT_EQ(server_version_name(100001), "10.1");
    EXPECT_EQ(server_version_name(170002), "17.2");
}

TEST(PgServerVersion, ThreePartsBefore10) {
    EXPECT_EQ(server_version_name(90624), "9.6.24");
    EXPECT_EQ(server_version_name(90105), "9.1.5");
}

}  // namespace
}  // namespace kt::pg
