#include <gtest/gtest.h>

#include "lib/kafka/error.hpp"

namespace kt::kafka {
namespace {

TEST(KafkaErrorCodes, LostGroupMembershipIsToldApartFromATransientFailure) {
    for (const auto code :
         {RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID, RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION,
          RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, RD_KAFKA_RESP_ERR__MAX_POLL_EXCEEDED,
          RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST}) {
        EXPECT_TRUE(is_membership_lost_code(code)) << rd_kafka_err2name(code);
    }
    for (const auto code :
         {RD_KAFKA_RESP_ERR_NO_ERROR, RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__TRANSPORT,
          RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE}) {
        EXPECT_FALSE(is_membership_lost_code(code)) << rd_kafka_err2name(code);
    }
}

}  // namespace
}  // namespace kt::kafka
