#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "lib/error.hpp"
#include "lib/metrics/registry.hpp"

namespace kt::metrics {
namespace {

TEST(MetricsRegistry, RendersCounterWithHelpTypeAndSortedLabels) {
    Registry registry;
    auto& docs = registry.counter("kt_indexer_documents_total", "Documents written.",
                                  {{"op", "index"}, {"index", "products"}});
    docs.inc(3);
    EXPECT_EQ(registry.render(),
              "# HELP kt_indexer_documents_total Documents written.\n"
              "# TYPE kt_indexer_documents_total counter\n"
              "kt_indexer_documents_total{index=\"products\",op=\"index\"} 3\n");
}

TEST(MetricsRegistry, SameNameAndLabelsReturnTheSameSeries) {
    Registry registry;
    auto& a = registry.counter("x_total", "h", {{"a", "1"}, {"b", "2"}});
    auto& b = registry.counter("x_total", "h", {{"b", "2"}, {"a", "1"}});
    auto& c = registry.counter("x_total", "h", {{"a", "1"}, {"b", "3"}});
    EXPECT_EQ(&a, &b);
    EXPECT_NE(&a, &c);
}

TEST(MetricsRegistry, CounterAddsFractionsAndIgnoresNegativeAmounts) {
    Registry registry;
    auto& seconds = registry.counter("kt_busy_seconds_total", "Busy time.");
    seconds.inc(2);
    seconds.add(0.5);
    seconds.add(-10.0);
    seconds.add(std::numeric_limits<double>::quiet_NaN());
    EXPECT_DOUBLE_EQ(seconds.value(), 2.5);
    EXPECT_NE(registry.render().find("kt_busy_seconds_total 2.5\n"), std::string::npos);
}

TEST(MetricsRegistry, RendersGaugesWithLabelsAndSpecialValues) {
    Registry registry;
    registry.gauge("kt_lag", "Lag.", {{"partition", "1"}}).set(7);
    auto& g = registry.gauge("kt_lag", "Lag.", {{"partition", "0"}});
    g.set(10);
    g.add(-2.5);
    g.inc();
    registry.gauge("kt_inf", "Inf.").set(std::numeric_limits<double>::infinity());
    registry.gauge("kt_nan", "NaN.").set(std::numeric_limits<double>::quiet_NaN());
    EXPECT_EQ(registry.render(),
              "# HELP kt_inf Inf.\n"
              "# TYPE kt_inf gauge\n"
              "kt_inf +Inf\n"
              "# HELP kt_lag Lag.\n"
              "# TYPE kt_lag gauge\n"
              "kt_lag{partition=\"0\"} 8.5\n"
              "kt_lag{partition=\"1\"} 7\n"
              "# HELP kt_nan NaN.\n"
              "# TYPE kt_nan gauge\n"
              "kt_nan NaN\n");
}

TEST(MetricsRegistry, RendersHistogramBucketsCumulativelyWithSumAndCount) {
    Registry registry;
    auto& h = registry.histogram("kt_batch_seconds", "Batch time.", {0.125, 0.5, 1},
                                 {{"index", "products"}});
    h.observe(0.0625);
    h.observe(0.125);  // le is inclusive
    h.observe(0.25);
    h.observe(2);
    EXPECT_EQ(registry.render(),
              "# HELP kt_batch_seconds Batch time.\n"
              "# TYPE kt_batch_seconds histogram\n"
              "kt_batch_seconds_bucket{index=\"products\",le=\"0.125\"} 2\n"
              "kt_batch_seconds_bucket{index=\"products\",le=\"0.5\"} 3\n"
              "kt_batch_seconds_bucket{index=\"products\",le=\"1\"} 3\n"
              "kt_batch_seconds_bucket{index=\"products\",le=\"+Inf\"} 4\n"
              "kt_batch_seconds_sum{index=\"products\"} 2.4375\n"
              "kt_batch_seconds_count{index=\"products\"} 4\n");
}

TEST(MetricsRegistry, HistogramPutsNanInTheInfBucket) {
    Histogram h("h", {1.0});
    h.observe(std::numeric_limits<double>::quiet_NaN());
    const auto snap = h.snapshot();
    EXPECT_EQ(snap.cumulative, (std::vector<std::uint64_t>{0, 1}));
    EXPECT_EQ(snap.count, 1u);
}

TEST(MetricsRegistry, EscapesLabelValuesAndHelp) {
    Registry registry;
    registry.gauge("kt_g", "line one\nback\\slash \"quoted\"", {{"v", "a\"b\\c\nd"}}).set(1);
    EXPECT_EQ(registry.render(),
              "# HELP kt_g line one\\nback\\\\slash \"quoted\"\n"
              "# TYPE kt_g gauge\n"
              "kt_g{v=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(MetricsRegistry, GaugeCallbackIsEvaluatedAtEachRender) {
    Registry registry;
    int lag = 5;
    registry.gauge_callback("kt_consumer_lag", "Lag per partition.", [&lag] {
        return std::vector<std::pair<Labels, double>>{
            {{{"topic", "products"}, {"partition", "1"}}, 2.0},
            {{{"topic", "products"}, {"partition", "0"}}, static_cast<double>(lag)},
        };
    });
    registry.counter("kt_a_total", "A.").inc();
    const std::string expected_head =
        "# HELP kt_a_total A.\n"
        "# TYPE kt_a_total counter\n"
        "kt_a_total 1\n"
        "# HELP kt_consumer_lag Lag per partition.\n"
        "# TYPE kt_consumer_lag gauge\n";
    EXPECT_EQ(registry.render(), expected_head +
                                     "kt_consumer_lag{partition=\"0\",topic=\"products\"} 5\n"
                                     "kt_consumer_lag{partition=\"1\",topic=\"products\"} 2\n");
    lag = 0;
    EXPECT_EQ(registry.render(), expected_head +
                                     "kt_consumer_lag{partition=\"0\",topic=\"products\"} 0\n"
                                     "kt_consumer_lag{partition=\"1\",topic=\"products\"} 2\n");
}

TEST(MetricsRegistry, CounterCallbackRendersAsACounterAndKeepsCounterRules) {
    Registry registry;
    double cpu = 1.5;
    registry.counter_callback("process_cpu_seconds_total", "CPU.", [&cpu] {
        return std::vector<std::pair<Labels, double>>{{{}, cpu}};
    });
    EXPECT_EQ(registry.render(),
              "# HELP process_cpu_seconds_total CPU.\n"
              "# TYPE process_cpu_seconds_total counter\n"
              "process_cpu_seconds_total 1.5\n");
    cpu = 2.25;
    EXPECT_NE(registry.render().find("process_cpu_seconds_total 2.25\n"), std::string::npos);
    auto samples = [] { return std::vector<std::pair<Labels, double>>{}; };
    EXPECT_THROW(registry.counter_callback("process_cpu_seconds", "CPU.", samples), kt::Error);
    // One name is one type: a counter callback is not a gauge callback.
    EXPECT_THROW(registry.gauge_callback("process_cpu_seconds_total", "CPU.", samples), kt::Error);
    EXPECT_THROW(registry.counter("process_cpu_seconds_total", "CPU."), kt::Error);
}

TEST(MetricsRegistry, FailingGaugeCallbackRendersNoSamplesButKeepsTheRest) {
    Registry registry;
    registry.gauge_callback("kt_broken", "Broken.", []() -> std::vector<std::pair<Labels, double>> {
        throw std::runtime_error("broker gone");
    });
    registry.gauge_callback("kt_bad_label", "Bad label.", [] {
        return std::vector<std::pair<Labels, double>>{{{{"bad-name", "x"}}, 1.0}};
    });
    registry.gauge("kt_ok", "Ok.").set(1);
    EXPECT_EQ(registry.render(),
              "# HELP kt_bad_label Bad label.\n"
              "# TYPE kt_bad_label gauge\n"
              "# HELP kt_broken Broken.\n"
              "# TYPE kt_broken gauge\n"
              "# HELP kt_ok Ok.\n"
              "# TYPE kt_ok gauge\n"
              "kt_ok 1\n");
}

TEST(MetricsRegistry, GaugeCallbacksOfOneNameShareTheFamily) {
    Registry registry;
    registry.gauge_callback("kt_lag", "Lag", [] {
        return std::vector<std::pair<Labels, double>>{{{{"index", "b"}}, 2}};
    });
    registry.gauge_callback("kt_lag", "Lag", [] {
        return std::vector<std::pair<Labels, double>>{{{{"index", "a"}}, 1}};
    });
    const std::string text = registry.render();
    EXPECT_EQ(text,
              "# HELP kt_lag Lag\n# TYPE kt_lag gauge\nkt_lag{index=\"a\"} 1\n"
              "kt_lag{index=\"b\"} 2\n");
}

TEST(MetricsRegistry, GaugeCallbackMayRegisterMetricsWithoutDeadlock) {
    Registry registry;
    registry.gauge_callback("kt_cb", "Cb.", [&registry] {
        registry.counter("kt_scrapes_total", "Scrapes.").inc();
        return std::vector<std::pair<Labels, double>>{};
    });
    (void)registry.render();
    EXPECT_NE(registry.render().find("kt_scrapes_total 1\n"), std::string::npos);
}

TEST(MetricsRegistry, ConcurrentIncrementsAreAllCounted) {
    Registry registry;
    auto& counter = registry.counter("kt_messages_total", "Messages.");
    auto& gauge = registry.gauge("kt_in_flight", "In flight.");
    auto& histogram = registry.histogram("kt_size", "Size.", {10, 100});
    constexpr int kThreads = 4;
    constexpr int kPerThread = 100000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                counter.inc();
                gauge.add(1.0);
                histogram.observe(t % 2 == 0 ? 5.0 : 50.0);
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(counter.whole(), static_cast<std::uint64_t>(kThreads * kPerThread));
    EXPECT_DOUBLE_EQ(gauge.value(), kThreads * kPerThread);
    const auto snap = histogram.snapshot();
    EXPECT_EQ(snap.count, static_cast<std::uint64_t>(kThreads * kPerThread));
    constexpr int kHalf = kThreads / 2;  // the threads that observe 5.0; the others observe 50.0
    EXPECT_EQ(snap.cumulative[0], static_cast<std::uint64_t>(kHalf * kPerThread));
    EXPECT_DOUBLE_EQ(snap.sum, (5.0 + 50.0) * kHalf * kPerThread);
}

TEST(MetricsRegistry, ConcurrentRegistrationOfOneSeriesYieldsOneObject) {
    Registry registry;
    constexpr int kThreads = 4;
    std::vector<Counter*> seen(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            Counter* first = &registry.counter("kt_c_total", "C.", {{"k", "v"}});
            for (int i = 0; i < 1000; ++i) {
                Counter& c = registry.counter("kt_c_total", "C.", {{"k", "v"}});
                if (&c != first) first = nullptr;
                c.inc();
            }
            seen[static_cast<std::size_t>(t)] = first;
        });
    }
    for (auto& thread : threads) thread.join();
    for (Counter* c : seen) EXPECT_EQ(c, seen[0]);
    ASSERT_NE(seen[0], nullptr);
    EXPECT_EQ(seen[0]->whole(), 4000u);
}

void expect_error_naming(const std::function<void()>& fn, const std::string& fragment) {
    try {
        fn();
        ADD_FAILURE() << "expected kt::Error mentioning " << fragment;
    } catch (const kt::Error& e) {
        EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
}

TEST(MetricsRegistry, RejectsInvalidMetricNames) {
    Registry registry;
    expect_error_naming([&] { registry.gauge("9lives", "h"); }, "'9lives'");
    expect_error_naming([&] { registry.gauge("kt-lag", "h"); }, "'kt-lag'");
    expect_error_naming([&] { registry.gauge("", "h"); }, "''");
    expect_error_naming([&] { registry.gauge("kt lag", "h"); }, "'kt lag'");
    expect_error_naming([&] { registry.counter("kt_documents", "h"); }, "'kt_documents'");
    expect_error_naming(
        [&] {
            registry.gauge_callback("kt.lag", "h",
                                    [] { return std::vector<std::pair<Labels, double>>{}; });
        },
        "'kt.lag'");
    EXPECT_NO_THROW(registry.gauge("kt:ns_rule:lag_1", "h"));
    EXPECT_NO_THROW(registry.gauge("_private", "h"));
}

TEST(MetricsRegistry, RejectsInvalidLabelNames) {
    Registry registry;
    expect_error_naming([&] { registry.gauge("kt_g", "h", {{"1st", "x"}}); }, "'1st'");
    expect_error_naming([&] { registry.gauge("kt_g", "h", {{"a:b", "x"}}); }, "'a:b'");
    expect_error_naming([&] { registry.gauge("kt_g", "h", {{"__name__", "x"}}); }, "'__name__'");
    expect_error_naming([&] { registry.gauge("kt_g", "h", {{"", "x"}}); }, "''");
    expect_error_naming([&] { registry.gauge("kt_g", "h", {{"a", "1"}, {"a", "2"}}); }, "'a'");
    expect_error_naming([&] { registry.histogram("kt_h", "h", {1}, {{"le", "1"}}); }, "'le'");
    EXPECT_NO_THROW(registry.gauge("kt_g", "h", {{"le", "1"}}));  // only reserved on histograms
}

TEST(MetricsRegistry, RejectsConflictingRegistrations) {
    Registry registry;
    registry.gauge("kt_g", "help");
    expect_error_naming([&] { registry.gauge("kt_g", "other help"); }, "'kt_g'");
    expect_error_naming([&] { registry.histogram("kt_g", "help", {1}); }, "'kt_g'");
    expect_error_naming(
        [&] {
            registry.gauge_callback("kt_g", "help",
                                    [] { return std::vector<std::pair<Labels, double>>{}; });
        },
        "'kt_g'");
    registry.histogram("kt_h", "help", {1, 2});
    expect_error_naming([&] { registry.histogram("kt_h", "help", {1, 3}); }, "'kt_h'");
    expect_error_naming([&] { registry.histogram("kt_bad", "help", {2, 1}); }, "'kt_bad'");
    expect_error_naming(
        [&] {
            registry.histogram("kt_inf", "help", {1, std::numeric_limits<double>::infinity()});
        },
        "'kt_inf'");
}

TEST(MetricsBuckets, ExponentialAndDefaultBucketsAreIncreasing) {
    EXPECT_EQ(exponential_buckets(1, 2, 4), (std::vector<double>{1, 2, 4, 8}));
    EXPECT_THROW((void)exponential_buckets(0, 2, 4), kt::Error);
    EXPECT_THROW((void)exponential_buckets(1, 1, 4), kt::Error);
    EXPECT_NO_THROW(validate_buckets("d", default_buckets()));
}

}  // namespace
}  // namespace kt::metrics
