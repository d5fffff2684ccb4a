#include <gtest/gtest.h>

#include "lib/kafka/error.hpp"

namespace kt::kafka {
namespace {

TEST(KafkaErrorCodes, LostGroupMembershipIsToldApartFromATransientFailure) {
    for (const auto code : {ErrorCode::kUnknownMemberId, ErrorCode::kIllegalGeneration,
                            ErrorCode::kRebalanceInProgress, ErrorCode::kMaxPollExceeded,
                            ErrorCode::kAssignmentLost}) {
        EXPECT_TRUE(is_membership_lost_code(code)) << error_name(code);
    }
    for (const auto code : {ErrorCode::kNoError, ErrorCode::kTimedOut, ErrorCode::kTransport,
                            ErrorCode::kNotCoordinator, ErrorCode::kOffsetOutOfRange}) {
        EXPECT_FALSE(is_membership_lost_code(code)) << error_name(code);
    }
}

TEST(KafkaErrorCodes, OnlyUnfixableDeliveryErrorsArePermanent) {
    for (const auto code : {ErrorCode::kMsgSizeTooLarge, ErrorCode::kUnknownTopic,
                            ErrorCode::kUnknownPartition, ErrorCode::kUnknownTopicOrPart,
                            ErrorCode::kTopicAuthorizationFailed, ErrorCode::kInvalidArg}) {
        EXPECT_TRUE(is_permanent_delivery_code(code)) << error_name(code);
    }
    for (const auto code : {ErrorCode::kNoError, ErrorCode::kMsgTimedOut, ErrorCode::kTransport,
                            ErrorCode::kNotLeaderForPartition, ErrorCode::kQueueFull}) {
        EXPECT_FALSE(is_permanent_delivery_code(code)) << error_name(code);
    }
}

TEST(KafkaErrorCodes, NamesAndDescriptionsAreLibrdkafkas) {
    EXPECT_EQ(error_name(ErrorCode::kTimedOut), "_TIMED_OUT");
    EXPECT_EQ(error_name(ErrorCode::kTopicAuthorizationFailed), "TOPIC_AUTHORIZATION_FAILED");
    EXPECT_EQ(error_description(ErrorCode::kNoError), "Success");
    const KafkaError e("flush", ErrorCode::kTimedOut);
    EXPECT_EQ(std::string(e.what()), "flush: _TIMED_OUT (" +
                                         error_description(ErrorCode::kTimedOut) + ")");
}

}  // namespace
}  // namespace kt::kafka
