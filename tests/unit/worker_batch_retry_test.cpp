#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <stop_token>

#include "lib/error.hpp"
#include "lib/metrics/registry.hpp"
#include "workers/common/batch_retry.hpp"

namespace kt::workers {
namespace {

using namespace std::chrono_literals;

struct Fixture {
    metrics::Registry registry;
    metrics::Counter& failures = registry.counter("kt_test_failures_total", "f");
    http::Liveness liveness{std::chrono::steady_clock::now(), 60s};
    BatchRetry retry{"index things", failures, liveness};
};

TEST(BatchRetry, RetriesAFailingBatchUntilItIsDoneAndReportsTheFailureMeanwhile) {
    Fixture f;
    int calls = 0;
    http::Check while_failing;
    const bool done = f.retry.run({}, [&] {
        if (++calls <= 2) throw kt::Error("connection to http://u:secret@es:9200 refused", true);
        while_failing = f.retry.readiness();
        return true;
    });
    EXPECT_TRUE(done);
    EXPECT_EQ(calls, 3);
    EXPECT_EQ(f.failures.value(), 2U);
    EXPECT_FALSE(while_failing.ok);
    EXPECT_THAT(while_failing.detail, ::testing::HasSubstr("index things: connection to"));
    EXPECT_THAT(while_failing.detail, ::testing::Not(::testing::HasSubstr("secret")));
    EXPECT_TRUE(f.retry.readiness().ok) << "ready again after the batch went through";
}

TEST(BatchRetry, StopEndsTheRetriesWithoutSuccess) {
    Fixture f;
    std::stop_source stop;
    int calls = 0;
    const bool done = f.retry.run(stop.get_token(), [&]() -> bool {
        ++calls;
        stop.request_stop();
        throw kt::Error("still down", true);
    });
    EXPECT_FALSE(done);
    EXPECT_EQ(calls, 1);
    EXPECT_FALSE(f.retry.readiness().ok);
}

TEST(BatchRetry, AnAttemptThatReturnsFalseIsNotRetried) {
    Fixture f;
    int calls = 0;
    EXPECT_FALSE(f.retry.run({}, [&] {
        ++calls;
        return false;
    }));
    EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace kt::workers
