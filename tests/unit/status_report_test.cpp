#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "lib/error.hpp"
#include "lib/http/status_page.hpp"
#include "lib/http/status_report.hpp"
#include "tests/support/group_status.hpp"

namespace kt::http {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using Clock = RateMeter::Clock;

TEST(ConsumerLag, IsEndMinusCommitted) {
    EXPECT_EQ(consumer_lag(40, 0, 50), 10);
    EXPECT_EQ(consumer_lag(50, 0, 50), 0);
}

TEST(ConsumerLag, CountsFromTheLowWatermarkWhenNothingWasCommitted) {
    EXPECT_EQ(consumer_lag(kUnknownOffset, 5, 50), 45);
}

TEST(ConsumerLag, IsNeverNegativeAndUnknownWithoutAnEnd) {
    EXPECT_EQ(consumer_lag(60, 0, 50), 0);  // watermark cached before the latest commit
    EXPECT_EQ(consumer_lag(10, 0, kUnknownOffset), kUnknownOffset);
}

TEST(RateBetween, DividesTheProgressByTheSeconds) {
    EXPECT_DOUBLE_EQ(rate_between(100, 130, 2.0), 15.0);
    EXPECT_DOUBLE_EQ(rate_between(100, 100, 2.0), 0.0);
}

TEST(RateBetween, IsZeroForUnknownOffsetsResetsAndNoTime) {
    EXPECT_DOUBLE_EQ(rate_between(kUnknownOffset, 130, 2.0), 0.0);
    EXPECT_DOUBLE_EQ(rate_between(130, 100, 2.0), 0.0);
    EXPECT_DOUBLE_EQ(rate_between(100, 130, 0.0), 0.0);
}

TEST(RateMeter, IsZeroBeforeAnythingWasCounted) {
    const auto t0 = Clock::time_point{} + 1h;
    RateMeter meter(t0);
    EXPECT_DOUBLE_EQ(meter.per_second(t0), 0.0);
    EXPECT_DOUBLE_EQ(meter.per_second(t0 + 30s), 0.0);
}

TEST(RateMeter, DividesByTheTimeSinceStartWhileYoungerThanTheWindow) {
    const auto t0 = Clock::time_point{} + 1h;
    RateMeter meter(t0, 10s);
    meter.add(t0 + 2s, 100);
    meter.add(t0 + 4s, 100);
    EXPECT_DOUBLE_EQ(meter.per_second(t0 + 4s), 50.0);
    // Never divided by less than a second, so a first batch does not read as a huge rate.
    RateMeter fresh(t0, 10s);
    fresh.add(t0 + 100ms, 30);
    EXPECT_DOUBLE_EQ(fresh.per_second(t0 + 200ms), 30.0);
}

TEST(RateMeter, CountsOnlyTheLastWindow) {
    const auto t0 = Clock::time_point{} + 1h;
    RateMeter meter(t0, 10s);
    for (int s = 1; s <= 30; ++s) meter.add(t0 + std::chrono::seconds(s), s <= 20 ? 10 : 50);
    // At 30 s the window is (20 s, 30 s]: ten additions of 50.
    EXPECT_DOUBLE_EQ(meter.per_second(t0 + 30s), 50.0);
    // Idle afterwards: the rate decays to zero once the window holds nothing.
    EXPECT_DOUBLE_EQ(meter.per_second(t0 + 35s), 25.0);
    EXPECT_DOUBLE_EQ(meter.per_second(t0 + 41s), 0.0);
}

StatusReport sample_report() {
    StatusReport r;
    r.source = "kt-delayer";
    r.generated_at = 1764655800.5;
    GroupStatus g = test::worker_group("delayer", "delay_5m", "delay_5m");
    g.dead_letters = 2;
    g.last_error = "delivery failed: \"broker down\"";
    g.last_error_at = 1764655790.25;
    g.held = 7;
    g.next_release_in = 12.5;
    g.partitions = {{0, 10, 15, 5, 1.5}, {1, kUnknownOffset, 2, 2, 0}};
    r.groups.push_back(g);
    GroupStatus idle;
    idle.worker = "indexer";
    idle.name = "products";
    idle.group = "kt.indexer.products";
    idle.problem = "topic products does not exist";
    r.groups.push_back(idle);
    return r;
}

TEST(StatusReportJson, RoundTrips) {
    const StatusReport r = sample_report();
    EXPECT_EQ(parse_status_report(to_json(r)), r);
}

TEST(StatusReportJson, CarriesGroupTotalsForThePage) {
    const auto doc = nlohmann::json::parse(to_json(sample_report()));
    EXPECT_EQ(doc["groups"][0]["lag"], 7);
    EXPECT_DOUBLE_EQ(doc["groups"][0]["rate"].get<double>(), 1.5);
    EXPECT_TRUE(doc["groups"][1]["held"].is_null());
    EXPECT_TRUE(doc["groups"][1]["next_release_in"].is_null());
}

TEST(StatusReportJson, ReplacesInvalidUtf8InsteadOfFailing) {
    StatusReport r = sample_report();
    r.groups[0].last_error = "bad byte \xff here";
    const std::string json = to_json(r);
    EXPECT_THAT(parse_status_report(json).groups[0].last_error, HasSubstr("bad byte"));
}

std::string parse_error(const std::string& text) {
    try {
        (void)parse_status_report(text);
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

TEST(StatusReportJson, NamesWhatIsWrong) {
    EXPECT_THAT(parse_error("<html>"), HasSubstr("not JSON"));
    EXPECT_THAT(parse_error("[]"), HasSubstr("expected a JSON object"));
    EXPECT_THAT(parse_error("{}"), HasSubstr("report.groups is missing"));
    EXPECT_THAT(parse_error(R"({"groups":[{"worker":"indexer","name":"a"}]})"),
                HasSubstr("groups[0].group is missing"));
    EXPECT_THAT(
        parse_error(
            R"({"groups":[{"worker":"indexer","name":"a","group":"g","partitions":[{"partition":"x"}]}]})"),
        HasSubstr("groups[0].partitions[0].partition has the wrong type (string)"));
}

/// What one worker's /status.json says of `group`: its last error and next release.
GroupStatus live_group(const std::string& group, const std::string& last_error,
                       std::optional<double> last_error_at = std::nullopt,
                       std::optional<double> next_release_in = std::nullopt) {
    GroupStatus g;
    g.group = group;
    g.last_error = last_error;
    g.last_error_at = last_error_at;
    g.next_release_in = next_release_in;
    return g;
}

TEST(MergeLive, TakesTheLastErrorAndNextReleaseOfTheSameGroup) {
    StatusReport kafka = sample_report();
    kafka.groups[0].last_error.clear();
    kafka.groups[0].last_error_at.reset();
    kafka.groups[0].next_release_in.reset();
    StatusReport live;
    live.groups.push_back(live_group("kt.delayer.delay_5m", "commit failed", 100, 3));
    live.groups.push_back(live_group("kt.indexer.other", "not ours"));

    EXPECT_EQ(merge_live(kafka, live), 1U);
    EXPECT_EQ(kafka.groups[0].last_error, "commit failed");
    EXPECT_EQ(kafka.groups[0].last_error_at, 100);
    EXPECT_EQ(kafka.groups[0].next_release_in, 3);
    EXPECT_TRUE(kafka.groups[1].last_error.empty());
}

TEST(MergeLive, KeepsTheNewestErrorAndTheEarliestReleaseAcrossMembers) {
    StatusReport kafka = sample_report();  // error at 1764655790.25, next release in 12.5 s
    StatusReport older;
    older.groups.push_back(live_group("kt.delayer.delay_5m", "older", 1000, 1));
    merge_live(kafka, older);
    EXPECT_EQ(kafka.groups[0].last_error, "delivery failed: \"broker down\"");
    EXPECT_EQ(kafka.groups[0].next_release_in, 1);
}

TEST(StatusPage, FetchesStatusJsonAndRendersPartitionRows) {
    const std::string page(status_page_html());
    EXPECT_THAT(page, HasSubstr("<!DOCTYPE html>"));
    EXPECT_THAT(page, HasSubstr("fetch(\"status.json\""));
    EXPECT_THAT(page, HasSubstr("dataset.partition"));
    EXPECT_THAT(page, ::testing::Not(HasSubstr("innerHTML")));  // values go in as text
}

}  // namespace
}  // namespace kt::http
