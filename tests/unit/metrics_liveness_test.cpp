#include <gtest/gtest.h>

#include <chrono>

#include "lib/http/liveness.hpp"

namespace kt::http {
namespace {

using std::chrono::seconds;
using Clock = Liveness::Clock;

const Clock::time_point kT0 = Clock::time_point{} + std::chrono::hours(1000);

TEST(Liveness, HealthyRightAfterStart) {
    Liveness liveness(kT0, seconds(30));
    EXPECT_TRUE(liveness.healthy(kT0, 0, seconds(60)));
    EXPECT_TRUE(liveness.healthy(kT0 + seconds(30), 0, seconds(60)));
}

TEST(Liveness, UnhealthyWhenTheLoopStopsBeating) {
    Liveness liveness(kT0, seconds(30));
    liveness.beat(kT0 + seconds(10));
    EXPECT_TRUE(liveness.healthy(kT0 + seconds(40), 0, seconds(60)));
    const Check check = liveness.check(kT0 + seconds(41), 0, seconds(60));
    EXPECT_FALSE(check.ok);
    EXPECT_NE(check.detail.find("31.0s"), std::string::npos) << check.detail;
    liveness.beat(kT0 + seconds(42));
    EXPECT_TRUE(liveness.healthy(kT0 + seconds(42), 0, seconds(60)));
}

TEST(Liveness, IdleWithoutLagIsHealthyForever) {
    Liveness liveness(kT0, seconds(30));
    for (int i = 1; i <= 100; ++i) liveness.beat(kT0 + seconds(20 * i));
    EXPECT_TRUE(liveness.healthy(kT0 + seconds(2000), 0, seconds(60)));
}

TEST(Liveness, UnhealthyWhenLagPersistsWithoutCommits) {
    Liveness liveness(kT0, seconds(30));
    liveness.beat(kT0 + seconds(10));
    EXPECT_TRUE(liveness.healthy(kT0 + seconds(10), 5, seconds(60)));
    liveness.beat(kT0 + seconds(65));
    EXPECT_TRUE(liveness.healthy(kT0 + seconds(65), 5, seconds(60)));
    liveness.beat(kT0 + seconds(75));
    const Check check = liveness.check(kT0 + seconds(75), 5, seconds(60));
    EXPECT_FALSE(check.ok);
    EXPECT_NE(check.detail.find("lag 5"), std::string::npos) << check.detail;
}

TEST(Liveness, CommitsKeepALaggingLoopHealthy) {
    Liveness liveness(kT0, seconds(30));
    for (int i = 1; i <= 20; ++i) {
        const auto now = kT0 + seconds(20 * i);
        liveness.progress(now);
        EXPECT_TRUE(liveness.healthy(now + seconds(10), 1000, seconds(60)));
    }
}

TEST(Liveness, LagAfterLongIdleStartsTheStallClockAtItsOnset) {
    Liveness liveness(kT0, seconds(30));
    liveness.progress(kT0);
    for (int i = 1; i <= 10; ++i) {
        liveness.beat(kT0 + seconds(20 * i));
        EXPECT_TRUE(liveness.healthy(kT0 + seconds(20 * i), 0, seconds(60)));
    }
    // 200 s without a commit, but the lag only just appeared.
    const auto onset = kT0 + seconds(210);
    liveness.beat(onset);
    EXPECT_TRUE(liveness.healthy(onset, 3, seconds(60)));
    liveness.beat(onset + seconds(60));
    EXPECT_TRUE(liveness.healthy(onset + seconds(60), 3, seconds(60)));
    liveness.beat(onset + seconds(61));
    EXPECT_FALSE(liveness.healthy(onset + seconds(61), 3, seconds(60)));
    // Catching up resets the onset.
    EXPECT_TRUE(liveness.healthy(onset + seconds(62), 0, seconds(60)));
    EXPECT_TRUE(liveness.healthy(onset + seconds(62), 3, seconds(60)));
}

TEST(Liveness, ProgressCountsAsABeat) {
    Liveness liveness(kT0, seconds(30));
    liveness.progress(kT0 + seconds(25));
    EXPECT_TRUE(liveness.healthy(kT0 + seconds(50), 0, seconds(60)));
}

}  // namespace
}  // namespace kt::http
