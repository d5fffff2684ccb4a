// Pure pieces of what `kt check` prints.
#include <gtest/gtest.h>

#include "cmd/kt/check.hpp"

namespace kt::cmd {
namespace {

TEST(CheckSkipped, SaysHowManyAndWhy) {
    EXPECT_EQ(skipped_checks_line(4, "PostgreSQL"), "4 check(s) skipped: PostgreSQL unreachable");
    EXPECT_EQ(skipped_checks_line(1, "Kafka"), "1 check(s) skipped: Kafka unreachable");
}

}  // namespace
}  // namespace kt::cmd
