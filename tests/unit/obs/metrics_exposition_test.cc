// The exposition: golden text for each type in both formats, label value escaping, Accept
// negotiation, the fold count, and a registry of 1,000 series rendered whole
// (bench/micro/metrics_scrape_bench.cc measures how long that takes).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "obs/metrics/exposition.h"

namespace nexus::obs::metrics {
namespace {

class MetricsExpositionTest : public ::testing::Test {
 protected:
  // A counter with labels, a gauge without, a histogram, and a callback counter.
  void SetUp() override {
    requests_ = registry_
                    .add({.name = "nexus_http_requests",
                          .help = "Requests.",
                          .labels = {{.name = "route", .values = {"api", "web"}},
                                     {.name = "status_class", .values = {"2xx", "5xx"}}}})
                    .value_or(nullptr);
    open_ = registry_
                .add({.name = "nexus_connections_open",
                      .help = "Open connections.",
                      .type = Type::kGauge})
                .value_or(nullptr);
    duration_ = registry_
                    .add({.name = "nexus_request_duration_seconds",
                          .help = "Durations.",
                          .unit = "seconds",
                          .type = Type::kHistogram,
                          .buckets = {0.005, 1},
                          .scale = 1e9})
                    .value_or(nullptr);
    ASSERT_NE(requests_, nullptr);
    ASSERT_NE(open_, nullptr);
    ASSERT_NE(duration_, nullptr);
    ASSERT_TRUE(registry_
                    .add_callback({.name = "process_cpu_seconds",
                                   .help = "CPU.",
                                   .unit = "seconds",
                                   .type = Type::kCounter},
                                  [] { return 1.5; })
                    .has_value());
    registry_.freeze(2);
  }

  void record() {
    const std::array<std::string_view, 2> api_2xx = {"api", "2xx"};
    const std::array<std::string_view, 2> web_5xx = {"web", "5xx"};
    registry_.shard(0).add(requests_->series(api_2xx), 2);
    registry_.shard(1).add(requests_->series(api_2xx));
    registry_.shard(1).add(requests_->series(web_5xx));
    registry_.shard(0).add_signed(open_->series_at({}), 4);
    registry_.shard(1).add_signed(open_->series_at({}), -1);
    registry_.shard(0).observe(duration_->histogram_at({}), 2'000'000);    // 2 ms
    registry_.shard(1).observe(duration_->histogram_at({}), 500'000'000);  // 0.5 s
  }

  std::string render_as(Format format) {
    std::string out;
    render(registry_, format, out);
    return out;
  }

  Registry registry_;
  Family* requests_ = nullptr;
  Family* open_ = nullptr;
  Family* duration_ = nullptr;
};

TEST_F(MetricsExpositionTest, PrometheusText) {
  record();
  EXPECT_EQ(render_as(Format::kPrometheus),
            "# HELP nexus_http_requests_total Requests.\n"
            "# TYPE nexus_http_requests_total counter\n"
            "nexus_http_requests_total{route=\"api\",status_class=\"2xx\"} 3\n"
            "nexus_http_requests_total{route=\"web\",status_class=\"5xx\"} 1\n"
            "# HELP nexus_connections_open Open connections.\n"
            "# TYPE nexus_connections_open gauge\n"
            "nexus_connections_open 3\n"
            "# HELP nexus_request_duration_seconds Durations.\n"
            "# TYPE nexus_request_duration_seconds histogram\n"
            "nexus_request_duration_seconds_bucket{le=\"0.005\"} 1\n"
            "nexus_request_duration_seconds_bucket{le=\"1.0\"} 2\n"
            "nexus_request_duration_seconds_bucket{le=\"+Inf\"} 2\n"
            "nexus_request_duration_seconds_sum 0.502\n"
            "nexus_request_duration_seconds_count 2\n"
            "# HELP process_cpu_seconds_total CPU.\n"
            "# TYPE process_cpu_seconds_total counter\n"
            "process_cpu_seconds_total 1.5\n");
}

TEST_F(MetricsExpositionTest, OpenMetricsText) {
  record();
  EXPECT_EQ(render_as(Format::kOpenMetrics),
            "# HELP nexus_http_requests Requests.\n"
            "# TYPE nexus_http_requests counter\n"
            "nexus_http_requests_total{route=\"api\",status_class=\"2xx\"} 3\n"
            "nexus_http_requests_total{route=\"web\",status_class=\"5xx\"} 1\n"
            "# HELP nexus_connections_open Open connections.\n"
            "# TYPE nexus_connections_open gauge\n"
            "nexus_connections_open 3\n"
            "# HELP nexus_request_duration_seconds Durations.\n"
            "# TYPE nexus_request_duration_seconds histogram\n"
            "# UNIT nexus_request_duration_seconds seconds\n"
            "nexus_request_duration_seconds_bucket{le=\"0.005\"} 1\n"
            "nexus_request_duration_seconds_bucket{le=\"1.0\"} 2\n"
            "nexus_request_duration_seconds_bucket{le=\"+Inf\"} 2\n"
            "nexus_request_duration_seconds_sum 0.502\n"
            "nexus_request_duration_seconds_count 2\n"
            "# HELP process_cpu_seconds CPU.\n"
            "# TYPE process_cpu_seconds counter\n"
            "# UNIT process_cpu_seconds seconds\n"
            "process_cpu_seconds_total 1.5\n"
            "# EOF\n");
}

TEST_F(MetricsExpositionTest, UntouchedLabelledSeriesAreLeftOutOthersAreZero) {
  const std::string text = render_as(Format::kPrometheus);
  EXPECT_EQ(text.find("nexus_http_requests_total{"), std::string::npos);
  EXPECT_NE(text.find("\nnexus_connections_open 0\n"), std::string::npos);
  EXPECT_NE(text.find("\nnexus_request_duration_seconds_count 0\n"), std::string::npos);
}

TEST_F(MetricsExpositionTest, FoldedValuesAreCountedPerFamily) {
  const std::array<std::string_view, 2> unknown = {"admin", "2xx"};
  registry_.shard(0).add(requests_->series(unknown));
  const std::string text = render_as(Format::kPrometheus);
  EXPECT_NE(text.find("nexus_http_requests_total{route=\"other\",status_class=\"2xx\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("# TYPE nexus_metrics_label_values_folded_total counter\n"
                "nexus_metrics_label_values_folded_total{family=\"nexus_http_requests\"} 1\n"),
      std::string::npos)
      << text;
}

TEST(MetricsExposition, LabelledGaugesAreWrittenAtZeroButNotForOther) {
  Registry registry;
  Family* family = registry
                       .add({.name = "nexus_test_streams",
                             .help = "Streams.",
                             .type = Type::kGauge,
                             .labels = {{.name = "kind", .values = {"http2", "sse"}}}})
                       .value_or(nullptr);
  ASSERT_NE(family, nullptr);
  registry.freeze(1);
  const std::array<uint32_t, 1> http2 = {0};
  registry.shard(0).add_signed(family->series_at(http2), 1);
  registry.shard(0).add_signed(family->series_at(http2), -1);
  std::string text;
  render(registry, Format::kPrometheus, text);
  EXPECT_EQ(text,
            "# HELP nexus_test_streams Streams.\n"
            "# TYPE nexus_test_streams gauge\n"
            "nexus_test_streams{kind=\"http2\"} 0\n"
            "nexus_test_streams{kind=\"sse\"} 0\n");
}

TEST(MetricsExposition, AnOmitZeroGaugeWritesOnlyItsNonZeroSeries) {
  Registry registry;
  Family* family = registry
                       .add({.name = "nexus_test_state",
                             .help = "States.",
                             .type = Type::kGauge,
                             .labels = {{.name = "state", .values = {"closed", "open"}}},
                             .omit_zero = true})
                       .value_or(nullptr);
  ASSERT_NE(family, nullptr);
  registry.freeze(2);
  const std::array<uint32_t, 1> closed = {0};
  const std::array<uint32_t, 1> open = {1};
  registry.shard(0).add_signed(family->series_at(closed), 1);
  registry.shard(1).add_signed(family->series_at(open), 1);
  registry.shard(1).add_signed(family->series_at(open), -1);
  std::string text;
  render(registry, Format::kPrometheus, text);
  EXPECT_EQ(text,
            "# HELP nexus_test_state States.\n"
            "# TYPE nexus_test_state gauge\n"
            "nexus_test_state{state=\"closed\"} 1\n");
}

TEST(MetricsExposition, ALabelledCallbackWritesTheSamplesItReads) {
  Registry registry;
  int reads = 0;
  ASSERT_TRUE(registry.add_callback({.name = "nexus_test_healthy",
                                     .help = "Health.",
                                     .type = Type::kGauge,
                                     .labels = {{.name = "cluster"}, {.name = "endpoint"}}},
                                    ReadSamples([&reads] {
                                      ++reads;
                                      return std::vector<Sample>{
                                          {.values = {"api", "127.0.0.1:1"}, .value = 1},
                                          {.values = {"api", "127.0.0.1:2"}, .value = 0}};
                                    })));
  // Without labels, or as a counter, it is refused: those are plain callbacks.
  EXPECT_FALSE(registry.add_callback({.name = "nexus_test_other", .type = Type::kGauge},
                                     ReadSamples([] { return std::vector<Sample>{}; })));
  EXPECT_FALSE(registry.add_callback({.name = "nexus_test_count", .labels = {{.name = "cluster"}}},
                                     ReadSamples([] { return std::vector<Sample>{}; })));
  registry.freeze(1);
  std::string text;
  render(registry, Format::kPrometheus, text);
  EXPECT_EQ(reads, 1);
  EXPECT_EQ(text,
            "# HELP nexus_test_healthy Health.\n"
            "# TYPE nexus_test_healthy gauge\n"
            "nexus_test_healthy{cluster=\"api\",endpoint=\"127.0.0.1:1\"} 1\n"
            "nexus_test_healthy{cluster=\"api\",endpoint=\"127.0.0.1:2\"} 0\n");
}

TEST(MetricsExposition, AScaledCounterIsWrittenInItsUnit) {
  Registry registry;
  Family* family = registry
                       .add({.name = "nexus_test_cost_usd",
                             .help = "Cost.",
                             .labels = {{.name = "model", .values = {"gpt"}}},
                             .scale = 1e9})
                       .value_or(nullptr);
  ASSERT_NE(family, nullptr);
  registry.freeze(2);
  const std::array<uint32_t, 1> gpt = {0};
  registry.shard(0).add(family->series_at(gpt), 100'000'000);  // $0.10 in nano-dollars
  registry.shard(1).add(family->series_at(gpt), 25);
  std::string text;
  render(registry, Format::kPrometheus, text);
  EXPECT_EQ(text,
            "# HELP nexus_test_cost_usd_total Cost.\n"
            "# TYPE nexus_test_cost_usd_total counter\n"
            "nexus_test_cost_usd_total{model=\"gpt\"} 0.100000025\n");
}

TEST(MetricsExposition, LabelValuesAndHelpAreEscaped) {
  Registry registry;
  Family* family = registry
                       .add({.name = "nexus_test_routes",
                             .help = "A \"quoted\" back\\slash\nnewline.",
                             .labels = {{.name = "route", .values = {"a\"b\\c\nd"}}}})
                       .value_or(nullptr);
  ASSERT_NE(family, nullptr);
  registry.freeze(1);
  const std::array<uint32_t, 1> first = {0};
  registry.shard(0).add(family->series_at(first));
  std::string prometheus;
  render(registry, Format::kPrometheus, prometheus);
  EXPECT_NE(
      prometheus.find("# HELP nexus_test_routes_total A \"quoted\" back\\\\slash\\nnewline.\n"),
      std::string::npos)
      << prometheus;
  EXPECT_NE(prometheus.find("nexus_test_routes_total{route=\"a\\\"b\\\\c\\nd\"} 1\n"),
            std::string::npos)
      << prometheus;
  std::string openmetrics;
  render(registry, Format::kOpenMetrics, openmetrics);
  EXPECT_NE(
      openmetrics.find("# HELP nexus_test_routes A \\\"quoted\\\" back\\\\slash\\nnewline.\n"),
      std::string::npos)
      << openmetrics;
}

TEST(MetricsExposition, AcceptChoosesTheFormat) {
  EXPECT_EQ(negotiate(""), Format::kPrometheus);
  EXPECT_EQ(negotiate("text/plain"), Format::kPrometheus);
  EXPECT_EQ(negotiate("*/*"), Format::kPrometheus);
  EXPECT_EQ(negotiate("application/openmetrics-text; version=1.0.0; charset=utf-8"),
            Format::kOpenMetrics);
  // What Prometheus itself sends.
  EXPECT_EQ(negotiate("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                      "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
            Format::kOpenMetrics);
  EXPECT_EQ(negotiate("text/plain, Application/OpenMetrics-Text"), Format::kOpenMetrics);
  EXPECT_EQ(negotiate("application/openmetrics-text;q=0, text/plain"), Format::kPrometheus);
  EXPECT_EQ(content_type(Format::kPrometheus), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(content_type(Format::kOpenMetrics),
            "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

// 100 routes x 5 status classes x 2 protocols, every series counted once: 1,000 lines.
TEST(MetricsExposition, RendersAThousandSeries) {
  Registry registry;
  std::vector<std::string> routes;
  for (int i = 0; i < 100; ++i) {
    routes.push_back("route-" + std::to_string(i));
  }
  Family* family =
      registry
          .add({.name = "nexus_http_requests",
                .help = "Requests.",
                .labels = {{.name = "route", .values = routes},
                           {.name = "status_class", .values = {"1xx", "2xx", "3xx", "4xx", "5xx"}},
                           {.name = "protocol", .values = {"http1", "http2"}}}})
          .value_or(nullptr);
  ASSERT_NE(family, nullptr);
  registry.freeze(4);
  for (uint32_t r = 0; r < 100; ++r) {
    for (uint32_t s = 0; s < 5; ++s) {
      for (uint32_t p = 0; p < 2; ++p) {
        const std::array<uint32_t, 3> indices = {r, s, p};
        registry.shard((r + s + p) % 4).add(family->series_at(indices));
      }
    }
  }
  std::string text;
  render(registry, Format::kPrometheus, text);
  EXPECT_EQ(std::ranges::count(text, '\n'), 1002);  // HELP, TYPE and the series
  EXPECT_NE(text.find("nexus_http_requests_total{route=\"route-99\",status_class=\"5xx\","
                      "protocol=\"http2\"} 1\n"),
            std::string::npos);
}

}  // namespace
}  // namespace nexus::obs::metrics
